/**
 * The native thread pool: per-call and default thread counts give the same results, concurrent
 * callers (worker_threads) run correctly, a Worker that loaded nnkit can be terminated mid-work,
 * and a process with pool threads exits cleanly.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { linalg } from '../../lib/linalg';
import { native } from '../../lib/native';
import { Rng } from '../../lib/rng';
import { maxError, randomArray, refGemm, ROOT } from '../helpers/ref';

const DIST = JSON.stringify(path.join(ROOT, 'dist', 'index.js'));

describe('thread pool', () => {
  afterAll(() => linalg.setNumThreads(require('os').cpus().length));

  it('defaults to the number of cores, or NNKIT_NUM_THREADS', () => {
    const r = spawnSync(process.execPath, ['-e', `console.log(require(${DIST}).linalg.getNumThreads())`], { encoding: 'utf8' });
    expect(Number(r.stdout)).toBe(require('os').cpus().length);
    const e = spawnSync(process.execPath, ['-e', `console.log(require(${DIST}).linalg.getNumThreads())`], { encoding: 'utf8', env: { ...process.env, NNKIT_NUM_THREADS: '3' } });
    expect(Number(e.stdout)).toBe(3);
  });

  it('setNumThreads validates and sets the default', () => {
    linalg.setNumThreads(1);
    expect(linalg.getNumThreads()).toBe(1);
    linalg.setNumThreads(4);
    expect(linalg.getNumThreads()).toBe(4);
    expect(() => linalg.setNumThreads(0)).toThrow(expect.objectContaining({ code: 'NNKIT_ERR_ARG', message: 'Expected integer in [1, 1024] for threads but received 0' }));
  });

  it('1, 2 and 3 threads give the same products on shapes that split along M, N and K', () => {
    const rng = new Rng(5);
    for (const [m, n, k, ta, tb] of [[300, 40, 64, false, false], [40, 600, 64, false, true], [30, 20, 4000, true, false], [257, 129, 65, true, true]] as const) {
      const a = randomArray(m * k, rng);
      const b = randomArray(k * n, rng);
      const want = refGemm(ta, tb, m, n, k, 1, a, ta ? m : k, b, tb ? k : n, 0, new Float32Array(0), n);
      for (const threads of [1, 2, 3]) {
        const c = new Float32Array(m * n);
        native.sgemm(ta, tb, m, n, k, 1, a, ta ? m : k, b, tb ? k : n, 0, c, n, threads);
        expect(maxError(c, want, 1)).toBeLessThan(2e-7 * k);
      }
    }
  });

  it('serves concurrent callers: the main thread and two Workers multiply at once', async () => {
    const script = `
      const { parentPort, workerData } = require('worker_threads');
      const { linalg } = require(${DIST});
      const n = 160, a = new Float32Array(n * n), b = new Float32Array(n * n), c = new Float32Array(n * n);
      for (let i = 0; i < n * n; i++) { a[i] = ((i * 7 + workerData) % 13) - 6; b[i] = ((i * 5) % 11) - 5; }
      let ok = true;
      for (let r = 0; r < 200; r++) {
        linalg.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
        let s = 0; for (let k = 0; k < n; k++) s += a[k] * b[k * n];
        if (c[0] !== s) ok = false;
      }
      parentPort.postMessage(ok);`;
    const workers = [1, 2].map((seed) => new Worker(script, { eval: true, workerData: seed }));
    const results = workers.map((w) => new Promise((resolve, reject) => { w.on('message', resolve); w.on('error', reject); }));
    const rng = new Rng(9);
    const a = randomArray(200 * 200, rng);
    const want = refGemm(false, false, 200, 200, 200, 1, a, 200, a, 200, 0, new Float32Array(0), 200);
    for (let r = 0; r < 20; r++) {
      const c = new Float32Array(200 * 200);
      linalg.sgemm(false, false, 200, 200, 200, 1, a, 200, a, 200, 0, c, 200);
      expect(maxError(c, want, 1)).toBeLessThan(1e-4);
    }
    expect(await Promise.all(results)).toEqual([true, true]);
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it('a Worker busy in nnkit can be terminated, and the pool keeps working', async () => {
    const worker = new Worker(`
      const { parentPort } = require('worker_threads');
      const { linalg } = require(${DIST});
      const n = 400, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
      parentPort.postMessage('ready');
      for (;;) linalg.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);`, { eval: true });
    await new Promise((resolve) => worker.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const code = await worker.terminate();
    expect(code).toBe(1);
    const c = new Float32Array(4);
    linalg.sgemm(false, false, 2, 2, 2, 1, Float32Array.from([1, 2, 3, 4]), 2, Float32Array.from([1, 0, 0, 1]), 2, 0, c, 2);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
  });

  it('a process with pool threads (and a running Worker) exits cleanly', () => {
    const script = `
      const { Worker } = require('worker_threads');
      const { linalg } = require(${DIST});
      const n = 300, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
      linalg.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
      const w = new Worker("const { linalg } = require(${DIST.replace(/"/g, '\\"')}); const a = new Float32Array(90000).fill(1), c = new Float32Array(90000); for (;;) linalg.sgemm(false, false, 300, 300, 300, 1, a, 300, a, 300, 0, c, 300);", { eval: true });
      setTimeout(() => { console.log(c[0]); process.exit(0); }, 200);`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('300');
  });
});
