import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers/ref';

describe('lib/native.ts loader', () => {
  it('when no addon loads, throws one actionable NNKIT_ERR_LOAD message', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-empty-'));
    const script = `try { require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))}) } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })) }`;
    // node-gyp-build looks only at NNKIT_PREBUILD's prebuilds/ when PREBUILDS_ONLY is set: an empty folder finds nothing.
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, PREBUILDS_ONLY: '1', NNKIT_PREBUILD: empty }, encoding: 'utf8' });
    fs.rmSync(empty, { recursive: true, force: true });
    const err = JSON.parse(r.stdout);
    expect(err.name).toBe('NnError');
    expect(err.code).toBe('NNKIT_ERR_LOAD');
    expect(err.message).toMatch(/^nnkit could not load its native addon \(No native build was found/);
    expect(err.message).toContain('Tried, in order:');
    expect(err.message).toContain('npm install-scripts approve nnkit');
    expect(err.message).toContain('npm rebuild nnkit');
    expect(err.message).toContain('python3, make and a C++17 compiler');
  });
});
