/**
 * The package as users get it: `npm pack`, then install the tarball into a fresh project,
 * offline from the npm cache (--prefer-offline), both ways:
 *   (a) with the linux-x64 prebuild inside (made by `npm run prebuilds`): nothing is compiled;
 *   (b) without prebuilds/: the install script falls back to compiling with node-gyp.
 * In both, require('nnkit') and `import 'nnkit'` work and a tiny net trains on the bundled digits.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './helpers/ref';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-pack-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function npm(args: string[], cwd: string): string {
  const r = spawnSync(NPM, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * A fresh project with the tarball installed. npm 11 skips dependencies' install scripts unless
 * the project allows them (the README says so): this project allows nnkit's.
 */
function installInto(name: string, tarball: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, allowScripts: { nnkit: true } }));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], dir);
  return dir;
}

const TRAIN_SCRIPT = `
const nn = require('nnkit');
(async () => {
  const data = nn.split(await nn.loadDigits(), { valFraction: 0.2, seed: 1 });
  const model = new nn.Sequential({ inputSize: 64, layers: [nn.dense(32, { activation: 'relu' }), nn.dense(10)], seed: 1 });
  const r = await nn.train(model, data, { epochs: 5, learningRate: 1e-3 });
  const addon = require('node-gyp-build').path(require('path').dirname(require.resolve('nnkit/package.json')));
  console.log(JSON.stringify({ valAcc: r.bestValAcc, isa: nn.linalg.isa, addon }));
})();`;
const ESM_SCRIPT = "import nnkit, { Sequential, linalg, train } from 'nnkit'; console.log(typeof Sequential, typeof train, typeof nnkit.dense, linalg.isa);";

function checkWorks(project: string): { valAcc: number; isa: string; addon: string } {
  const out = execFileSync(process.execPath, ['-e', TRAIN_SCRIPT], { cwd: project, encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').pop() as string);
  expect(result.valAcc).toBeGreaterThan(0.8);
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e', ESM_SCRIPT], { cwd: project, encoding: 'utf8' });
  expect(esm.trim()).toMatch(/^function function function (avx512|avx2|scalar)$/);
  return result;
}

describe('packaging', () => {
  let withoutPrebuilds = '';
  let withPrebuilds = '';

  beforeAll(() => {
    // dist/ is fresh (jest's global setup compiled it), so pack without re-running prepare.
    const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], ROOT));
    const src = path.join(tmp, 'src');
    fs.mkdirSync(src);
    execFileSync('tar', ['xzf', path.join(tmp, packed.filename), '-C', src]);
    const pkg = path.join(src, 'package');
    fs.rmSync(path.join(pkg, 'prebuilds'), { recursive: true, force: true }); // a developer's local prebuilds
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
    for (const f of ['binding.gyp', 'CMakeLists.txt', 'native/addon.cc', 'native/kernels/x86/sgemm_avx2_6x16.cc', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/cli.js', 'data/digits.csv.gz', 'LICENSE', 'README.md']) {
      expect(fs.existsSync(path.join(pkg, f))).toBe(true);
    }
    withoutPrebuilds = path.join(tmp, 'nnkit-without-prebuilds.tgz');
    execFileSync('tar', ['czf', withoutPrebuilds, '-C', src, 'package']);
    // The release flow: `npm run prebuilds` in the package, then pack it with prebuilds/ inside.
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    npm(['run', 'prebuilds'], pkg);
    fs.rmSync(path.join(pkg, 'node_modules'));
    fs.rmSync(path.join(pkg, 'build'), { recursive: true, force: true });
    const built = fs.readdirSync(path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`));
    // prebuildify names an N-API build <name>[.<libc>].node: no ABI tag, so it loads on every Node with N-API 8
    expect(built).toEqual([process.platform === 'linux' ? 'nnkit.glibc.node' : 'nnkit.node']);
    withPrebuilds = path.join(tmp, 'nnkit-with-prebuilds.tgz');
    execFileSync('tar', ['czf', withPrebuilds, '-C', src, 'package']);
  }, 600000);

  it('(a) with the prebuild inside, the install compiles nothing and nnkit trains', () => {
    const project = installInto('with-prebuild', withPrebuilds);
    const installed = path.join(project, 'node_modules', 'nnkit');
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    const result = checkWorks(project);
    expect(result.addon).toBe(path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`, 'nnkit.glibc.node'));
    const version = execFileSync(path.join(project, 'node_modules', '.bin', 'nnkit'), ['version'], { encoding: 'utf8' });
    expect(version).toMatch(/^nnkit \d+\.\d+\.\d+ \(kernels: /);
    // npm 11's default (install scripts not allowed) works too: the prebuild is found at load time.
    const strict = path.join(tmp, 'scripts-blocked');
    fs.mkdirSync(strict);
    fs.writeFileSync(path.join(strict, 'package.json'), JSON.stringify({ name: 'scripts-blocked', version: '1.0.0', private: true }));
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', withPrebuilds], strict);
    expect(checkWorks(strict).addon).toMatch(/prebuilds/);
  }, 300000);

  it('(b) without prebuilds/, the install compiles the addon with node-gyp and nnkit trains', () => {
    const project = installInto('without-prebuild', withoutPrebuilds);
    const installed = path.join(project, 'node_modules', 'nnkit');
    expect(fs.existsSync(path.join(installed, 'build', 'Release', 'nnkit.node'))).toBe(true);
    const result = checkWorks(project);
    expect(result.addon).toBe(path.join(installed, 'build', 'Release', 'nnkit.node'));
  }, 600000);
});
