import { spawnSync } from 'child_process';
import * as path from 'path';
import { ROOT } from './helpers/ref';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });

describe('nnkit CLI', () => {
  it('demo prints the lecture\'s epoch lines and reaches >= 0.90 validation accuracy', () => {
    const r = run('demo');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(11);
    for (let e = 1; e <= 10; e++) {
      expect(lines[e - 1]).toMatch(new RegExp(`^Finished epoch ${e} / 10: cost \\d+\\.\\d{6}, train: \\d\\.\\d{6}, val \\d\\.\\d{6}, lr \\d\\.\\d{6}e-0\\d$`));
    }
    const best = /^finished optimization\. best validation accuracy: (\d\.\d{6})$/.exec(lines[10]);
    expect(best).not.toBeNull();
    expect(Number(best?.[1])).toBeGreaterThanOrEqual(0.9);
  });

  it('bad arguments exit 2 with the coded message on stderr', () => {
    const r = run('demo', '--epochs', 'zero');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("nnkit: Expected positive integer for --epochs but received 'zero'\n");
    const u = run('fly');
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/^nnkit: Expected a command \(demo, help, version\) but received 'fly'/);
  });

  it('version names the kernel path', () => {
    expect(run('version').stdout).toMatch(/^nnkit \d+\.\d+\.\d+ \(kernels: (avx512|avx2|scalar)\)\n$/);
  });
});
