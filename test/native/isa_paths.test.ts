/**
 * Runs the kernel suite once per ISA path: NNKIT_ISA is read once, when the addon loads, so each
 * path gets its own process. Paths the CPU lacks are checked to cap at the best it has.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { native } from '../../lib/native';
import { ROOT } from '../helpers/ref';

const ORDER = ['scalar', 'avx2', 'avx512'] as const;

function runKernelSuite(isa: string) {
  const jestBin = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  return spawnSync(process.execPath, [jestBin, '--runTestsByPath', path.join('test', 'native', 'kernels.test.ts'), '--json'], {
    cwd: ROOT,
    env: { ...process.env, NNKIT_ISA: isa },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
}

describe('every ISA path passes the kernel suite', () => {
  for (const isa of ORDER) {
    const supported = ORDER.indexOf(isa) <= ORDER.indexOf(native.bestIsa);
    it(`NNKIT_ISA=${isa}${supported ? '' : ` (not on this CPU: caps at ${native.bestIsa})`}`, () => {
      if (!supported) {
        const script = `console.log(require('node-gyp-build')(${JSON.stringify(ROOT)}).isa)`;
        const capped = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, NNKIT_ISA: isa }, encoding: 'utf8' });
        expect(capped.stdout.trim()).toBe(native.bestIsa);
        return;
      }
      const r = runKernelSuite(isa);
      const report = JSON.parse(r.stdout);
      const failures = report.testResults.flatMap((t: { assertionResults: Array<{ status: string; fullName: string }> }) =>
        t.assertionResults.filter((a) => a.status !== 'passed').map((a) => a.fullName));
      expect(failures).toEqual([]);
      expect(report.numPassedTests).toBeGreaterThan(10);
      const ran = ORDER[Math.min(ORDER.indexOf(isa), ORDER.indexOf(native.bestIsa))];
      // the suite's own first test asserts the path it ran on; its title names it too
      expect(report.testResults[0].assertionResults[0].ancestorTitles[0]).toBe(`kernels on the ${ran} path`);
    }, 180000);
  }

  it('an unknown NNKIT_ISA value is a coded error at load', () => {
    const script = `try { require('node-gyp-build')(${JSON.stringify(ROOT)}) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, NNKIT_ISA: 'sse9' }, encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual({ code: 'NNKIT_ERR_ISA', message: "Expected one of scalar, avx2, avx512 for NNKIT_ISA but received 'sse9'" });
  });
});
