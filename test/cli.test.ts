import { spawnSync } from 'child_process';
import * as path from 'path';
import * as fs from 'fs';
import * as os from 'os';
import { ROOT, SHARED_DATA } from './helpers/ref';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

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
    expect(u.stderr).toMatch(/^nnkit: Expected a command \(demo, train, eval, help, version\) but received 'fly'/);
  });

  it('version names the kernel path', () => {
    expect(run('version').stdout).toMatch(/^nnkit \d+\.\d+\.\d+ \(kernels: (avx512|avx2|scalar)\)\n$/);
  });
});

describe('nnkit train / eval', () => {
  it('train --json: one JSON object on stdout with the public keys, progress on stderr; eval reads the saved model', () => {
    const model = path.join(tmp, 'digits.nnk');
    const r = run('train', '--data', 'digits', '--epochs', '4', '--lr', '1e-2', '--hidden', '40,30', '--init', 'he', '--update', 'adam', '--dropout', '0.1',
      '--preprocess', 'standardize', '--save', model, '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(Object.keys(out).sort()).toEqual(['bestValAcc', 'diagnosis', 'epochs', 'samplesPerSec', 'stopReason']);
    expect(out.stopReason).toBe('completed');
    expect(out.epochs).toHaveLength(4);
    expect(Object.keys(out.epochs[0]).sort()).toEqual(['cost', 'epoch', 'lr', 'trainAcc', 'valAcc']);
    expect(out.bestValAcc).toBe(Math.max(...out.epochs.map((e: { valAcc: number }) => e.valAcc)));
    expect(out.bestValAcc).toBeGreaterThan(0.85);
    expect(r.stderr).toMatch(/^Finished epoch 1 \/ 4: cost /m);
    const e = run('eval', '--model', model, '--data', 'digits', '--json');
    expect(e.status).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(Object.keys(ev).sort()).toEqual(['accuracy', 'loss', 'n']);
    expect(ev.n).toBe(1797);
    expect(ev.accuracy).toBeGreaterThan(0.85);
  });

  it('train reads IDX with --labels and CIFAR .bin; prints the lecture\'s lines without --json', () => {
    const mnist = path.join(SHARED_DATA, 'mnist');
    const r = run('train', '--data', path.join(mnist, 'mnist-train-first10k-images-idx3-ubyte.gz'), '--labels', path.join(mnist, 'mnist-train-first10k-labels-idx1-ubyte.gz'),
      '--epochs', '2', '--dropout', '0', '--lr', '1e-2', '--val-split', '0.2', '--preprocess', 'standardize');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Finished epoch 1 \/ 2: cost \d+\.\d{6}, train: \d\.\d{6}, val \d\.\d{6}, lr 9\.500000e-03$/);
    expect(lines[2]).toMatch(/^finished optimization\. best validation accuracy: 0\.9\d{5}$/);
    const c = run('train', '--data', path.join(SHARED_DATA, 'cifar10-subset', 'train_4000.bin'), '--epochs', '1', '--init', 'gaussian:0.0001', '--json');
    expect(c.status).toBe(0);
    expect(JSON.parse(c.stdout).epochs).toHaveLength(1);
  });

  it('--preprocess pca:K and whiten: the model takes the preprocessed width, eval applies it to raw data', () => {
    const model = path.join(tmp, 'pca.nnk');
    const r = run('train', '--data', 'digits', '--preprocess', 'pca:20', '--dropout', '0', '--lr', '1e-2', '--epochs', '6', '--save', model, '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).bestValAcc).toBeGreaterThan(0.8);
    const e = run('eval', '--model', model, '--data', 'digits', '--json');
    expect(JSON.parse(e.stdout).accuracy).toBeGreaterThan(0.8);
    const w = run('train', '--data', 'digits', '--preprocess', 'whiten', '--dropout', '0', '--lr', '1e-2', '--epochs', '6', '--json');
    expect(w.status).toBe(0);
    expect(JSON.parse(w.stdout).bestValAcc).toBeGreaterThan(0.7);
  });

  it('an exploding run still exits 0, with its stopReason and diagnosis (non-finite costs as null)', () => {
    const r = run('train', '--data', 'digits', '--lr', '1e6', '--json', '--preprocess', 'none');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(['exploded', 'nan']).toContain(out.stopReason);
    expect(out.diagnosis).toBe('cost exploded: learning rate is probably too high');
    expect(out.bestValAcc).toBeNull();
  });

  it('bad arguments and bad data exit 2 with the coded message', () => {
    const cases: Array<[string[], RegExp]> = [
      [['train'], /^nnkit: Expected a data file or 'digits' for --data but received nothing\n$/],
      [['train', '--data', 'digits', '--lr', '-1'], /^nnkit: Expected positive number for --lr but received '-1'\n$/],
      [['train', '--data', 'digits', '--hidden', '50,x'], /^nnkit: Expected comma-separated positive integers for --hidden but received '50,x'\n$/],
      [['train', '--data', 'digits', '--update', 'lbfgs'], /^nnkit: Expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam for --update but received 'lbfgs'\n$/],
      [['train', '--data', 'digits', '--init', 'gaussian:-1'], /^nnkit: Expected gaussian:STD with a non-negative STD for --init but received 'gaussian:-1'\n$/],
      [['train', '--data', 'digits', '--preprocess', 'pca:0'], /^nnkit: Expected one of center, standardize, pca:K, whiten, none for --preprocess but received 'pca:0'\n$/],
      [['train', '--data', 'digits', '--preprocess', 'pca:65'], /^nnkit: Expected K <= the 64 features of the data for --preprocess but received 'pca:65'\n$/],
      [['train', '--data', 'digits', '--dropout', '1'], /^nnkit: Expected number in \[0, 1\) for --dropout but received '1'\n$/],
      [['train', '--data', 'digits', '--bogus', '1'], /^nnkit: Expected one of --data, .* for flag but received '--bogus'\n$/],
      [['train', '--data', path.join(tmp, 'none.csv')], /^nnkit: Cannot read .*none\.csv: ENOENT/],
      [['eval', '--model', path.join(tmp, 'none.nnk'), '--data', 'digits'], /^nnkit: Could not read model file .*none\.nnk/],
    ];
    fs.writeFileSync(path.join(tmp, 'bad.csv'), '1,2,0\n3,x,1\n');
    cases.push([['train', '--data', path.join(tmp, 'bad.csv')], /^nnkit: .*bad\.csv: non-numeric value 'x' at byte offset 8\n$/]);
    for (const [args, message] of cases) {
      const r = run(...args);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});
