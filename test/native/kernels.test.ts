/**
 * Every kernel on the ISA path this process runs (NNKIT_ISA caps it; isa_paths.test.ts re-runs
 * this file once per path the CPU has) against float64 references, on sizes chosen to hit the
 * register-tile and cache-block edges.
 */
import { linalg } from '../../lib/linalg';
import { native } from '../../lib/native';
import { Rng } from '../../lib/rng';
import { maxError, randomArray, refGemm } from '../helpers/ref';

const ORDER = ['scalar', 'avx2', 'avx512'] as const;
const TILES: Record<string, [number, number]> = { scalar: [4, 8], avx2: [6, 16], avx512: [12, 32] };

describe(`kernels on the ${native.isa} path`, () => {
  it('runs the path NNKIT_ISA asked for, capped at what the CPU supports', () => {
    const asked = process.env.NNKIT_ISA;
    const best = ORDER.indexOf(native.bestIsa);
    const expected = asked ? ORDER[Math.min(ORDER.indexOf(asked as (typeof ORDER)[number]), best)] : native.bestIsa;
    expect(linalg.isa).toBe(expected);
  });

  describe('sgemm', () => {
    const [MR, NR] = TILES[native.isa];
    const sizes = [...new Set([1, 2, 3, MR - 1, MR, MR + 1, NR - 1, NR + 1, 63, 64, 65, 257])].filter((s) => s > 0);
    const rng = new Rng(7);

    function run(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number, pad = 0) {
      const lda = (ta ? m : k) + pad;
      const ldb = (tb ? k : n) + pad;
      const ldc = n + pad;
      const a = randomArray((ta ? k : m) * lda, rng);
      const b = randomArray((tb ? n : k) * ldb, rng);
      const c = randomArray(m * ldc, rng);
      const want = refGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      const before = c.slice();
      linalg.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      const got = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) got[i * n + j] = c[i * ldc + j];
      const tol = 2e-7 * (k + 1) + 1e-6;
      expect(maxError(got, want, 1)).toBeLessThan(tol);
      // padding between rows of C stays untouched
      for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) expect(c[i * ldc + j]).toBe(before[i * ldc + j]);
    }

    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
      const op = `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;
      it(`${op}: every m, n in {${sizes.join(', ')}} with k in {1, 2, 3, 17, 64, 65, 257}`, () => {
        for (const m of sizes) {
          for (const n of sizes) {
            for (const k of [1, 2, 3, 17, 64, 65, 257]) {
              if (m * n * k > 3e5) continue; // keeps the float64 reference quick; large shapes are below
              run(ta, tb, m, n, k, 1, 0.5);
            }
          }
        }
      });
      it(`${op}: alpha, beta in {0, 0.5, 1} and leading dimensions wider than the matrix`, () => {
        for (const alpha of [0, 0.5, 1]) {
          for (const beta of [0, 0.5, 1]) {
            run(ta, tb, 13, 37, 29, alpha, beta);
            run(ta, tb, MR + 1, NR - 1, 65, alpha, beta, 3);
          }
        }
      });
      it(`${op}: large shapes crossing the cache blocks (k > KC, m > MC, n > NC)`, () => {
        run(ta, tb, 300, 130, 600, 1, 0);
        run(ta, tb, 3, 4200, 5, 0.5, 1);
        run(ta, tb, 100, 50, 3072, 1, 0);
      });
    }

    it('beta = 0 does not read C: NaN in C does not leak', () => {
      const c = new Float32Array(7 * 9).fill(NaN);
      linalg.sgemm(false, false, 7, 9, 5, 1, randomArray(35, rng), 5, randomArray(45, rng), 9, 0, c, 9);
      expect(c.every(Number.isFinite)).toBe(true);
    });

    it('alpha = 0 does not read A or B: C = beta · C exactly', () => {
      const a = new Float32Array(7 * 5).fill(NaN);
      const b = new Float32Array(5 * 9).fill(Infinity);
      const c = randomArray(63, rng);
      const want = c.map((v) => Math.fround(0.5 * v));
      linalg.sgemm(false, false, 7, 9, 5, 0, a, 5, b, 9, 0.5, c, 9);
      expect(Array.from(c)).toEqual(Array.from(want));
      linalg.sgemm(true, true, 7, 9, 5, 0, a, 7, b, 5, 0, c, 9);
      expect(c.every((v) => v === 0)).toBe(true);
    });

    it('NaN and Inf in A or B propagate to their row and column of C', () => {
      const m = MR + 3, n = NR + 3, k = 70;
      const a = randomArray(m * k, rng);
      const b = randomArray(k * n, rng, 0.5);
      a[2 * k + 11] = NaN; // row 2 of A
      b[40 * n + (n - 1)] = Infinity; // column n-1 of B
      for (let p = 0; p < k; p++) b[p * n + (n - 1)] = Math.abs(b[p * n + (n - 1)]); // keep Inf - Inf out of that column
      const c = new Float32Array(m * n);
      linalg.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
      for (let j = 0; j < n; j++) expect(Number.isNaN(c[2 * n + j])).toBe(true);
      for (let i = 0; i < m; i++) if (i !== 2) expect(c[i * n + n - 1]).toBe(a[i * k + 40] > 0 ? Infinity : a[i * k + 40] < 0 ? -Infinity : NaN);
      for (let i = 0; i < m; i++) if (i !== 2) for (let j = 0; j < n - 1; j++) expect(Number.isFinite(c[i * n + j])).toBe(true);
    });

    it('m = 0, n = 0 or k = 0 are valid', () => {
      const c = new Float32Array([1, 2, 3, 4]);
      linalg.sgemm(false, false, 0, 2, 2, 1, new Float32Array(0), 2, new Float32Array(4), 2, 0, new Float32Array(0), 2);
      linalg.sgemm(false, false, 2, 2, 0, 1, new Float32Array(0), 1, new Float32Array(0), 2, 2, c, 2);
      expect(Array.from(c)).toEqual([2, 4, 6, 8]);
    });
  });

  describe('layer, loss and update kernels', () => {
    const rng = new Rng(11);
    const lengths = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 257, 1000];

    it('biasAdd and biasGrad', () => {
      for (const rows of [1, 3, 17]) {
        for (const cols of lengths) {
          const y = randomArray(rows * cols, rng);
          const bias = randomArray(cols, rng);
          const want = Array.from(y, (v, i) => v + bias[i % cols]);
          native.biasAdd(y, bias, rows, cols);
          expect(maxError(y, want)).toBeLessThan(1e-6);
          const db = new Float32Array(cols + 1).fill(7); // one extra element: must stay 7
          native.biasGrad(y, rows, cols, db);
          const wantDb = new Float64Array(cols);
          for (let i = 0; i < y.length; i++) wantDb[i % cols] += y[i];
          expect(maxError(db.subarray(0, cols), wantDb)).toBeLessThan(1e-5);
          expect(db[cols]).toBe(7);
        }
      }
    });

    it('reluForward and reluBackward (NaN passes forward)', () => {
      for (const n of lengths) {
        const x = randomArray(n + 1, rng);
        x[n >> 1] = NaN;
        const y = new Float32Array(n + 1).fill(5);
        native.reluForward(x, y, n);
        for (let i = 0; i < n; i++) {
          if (Number.isNaN(x[i])) expect(Number.isNaN(y[i])).toBe(true);
          else expect(y[i]).toBe(x[i] > 0 ? x[i] : 0);
        }
        expect(y[n]).toBe(5); // past n: untouched
        const dy = randomArray(n, rng);
        const dx = new Float32Array(n);
        native.reluBackward(y, dy, dx, n);
        for (let i = 0; i < n; i++) expect(dx[i]).toBe(y[i] > 0 ? dy[i] : 0);
      }
    });

    it('softmaxCrossEntropy: loss and gradient against float64, any class count', () => {
      for (const c of [1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 33, 100]) {
        for (const n of [1, 5, 64]) {
          const s = randomArray(n * c, rng, 30); // wide range: exercises the max shift and exp's range
          const y = Int32Array.from({ length: n }, () => rng.int(c));
          let want = 0;
          const wantGrad = new Float64Array(n * c);
          for (let r = 0; r < n; r++) {
            const row = Array.from(s.subarray(r * c, (r + 1) * c));
            const mx = Math.max(...row);
            const sum = row.reduce((acc, v) => acc + Math.exp(v - mx), 0);
            want += Math.log(sum) - (row[y[r]] - mx);
            for (let j = 0; j < c; j++) wantGrad[r * c + j] = (Math.exp(row[j] - mx) / sum - (j === y[r] ? 1 : 0)) / n;
          }
          want /= n;
          const grad = new Float32Array(n * c);
          const loss = native.softmaxCrossEntropy(s, y, n, c, grad);
          expect(Math.abs(loss - want)).toBeLessThan(1e-5 * (1 + Math.abs(want)));
          expect(maxError(grad, wantGrad, 1 / n)).toBeLessThan(1e-5);
          // in place (dscores = scores) gives the same gradient
          const inPlace = s.slice();
          expect(native.softmaxCrossEntropy(inPlace, y, n, c, inPlace)).toBeCloseTo(loss, 6);
          expect(maxError(inPlace, grad, 1 / n)).toBeLessThan(1e-7);
        }
      }
    });

    it('softmaxCrossEntropy: NaN scores give a NaN loss, extreme scores stay finite', () => {
      const s = new Float32Array([1, NaN, 3, 0, 0, 0]);
      expect(Number.isNaN(native.softmaxCrossEntropy(s, new Int32Array([0, 0]), 2, 3, null))).toBe(true);
      const big = new Float32Array([1e30, -1e30, 0, 80, -80, 80.5, 88, 87, 86, -200]);
      const loss = native.softmaxCrossEntropy(big, new Int32Array([1]), 1, 10, null);
      expect(loss).toBeCloseTo(2e30, -25);
    });

    it('l2Penalty: ½·λ·Σw² and λ·w', () => {
      for (const n of lengths) {
        const w = randomArray(n, rng);
        const grad = new Float32Array(n);
        const want = 0.5 * Math.fround(0.3) * w.reduce((acc, v) => acc + v * v, 0);
        expect(native.l2Penalty(w, n, 0.3, grad)).toBeCloseTo(want, 6);
        expect(maxError(grad, Array.from(w, (v) => 0.3 * v))).toBeLessThan(1e-7);
        expect(native.l2Penalty(w, n, 0.3, null)).toBeCloseTo(want, 6);
      }
    });

    it('sgdUpdate and momentumUpdate', () => {
      for (const n of lengths) {
        const w = randomArray(n, rng);
        const g = randomArray(n, rng);
        const v = randomArray(n, rng);
        const wantW = Array.from(w, (x, i) => x - 0.1 * g[i]);
        const w1 = w.slice();
        native.sgdUpdate(w1, g, n, 0.1);
        expect(maxError(w1, wantW)).toBeLessThan(1e-7);
        const wantV = Array.from(v, (x, i) => 0.9 * x - 0.1 * g[i]);
        const wantW2 = Array.from(w, (x, i) => x + wantV[i]);
        const w2 = w.slice();
        native.momentumUpdate(w2, g, v, n, 0.1, 0.9);
        expect(maxError(v, wantV)).toBeLessThan(1e-7);
        expect(maxError(w2, wantW2)).toBeLessThan(1e-7);
      }
    });
  });
});
