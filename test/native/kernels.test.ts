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

  it("the benchmark's micro-kernel probe runs this path's tile on its own buffers", () => {
    const rate = native.sgemmTilePeak(0.02);
    expect(Number.isFinite(rate)).toBe(true);
    expect(rate).toBeGreaterThan(0);
  });

  // a budget used up before any call reaches the 10 ms the probes time (a loaded machine can
  // deschedule the process that long between two short calls) still gives a figure
  it("the benchmark's probes always time at least one call", () => {
    for (const rate of [native.sgemmTilePeak(0), native.fmaPeak(0)]) {
      expect(Number.isFinite(rate)).toBe(true);
      expect(rate).toBeGreaterThan(0);
    }
  });

  describe('sgemm', () => {
    const [MR, NR] = TILES[native.isa];
    const sizes = [...new Set([1, 2, 3, MR - 1, MR, MR + 1, NR - 1, NR + 1, 63, 64, 65, 257])].filter((s) => s > 0);
    const rng = new Rng(7);
    // rows to check on a big product: the first and last 13 (the last panel and the one before),
    // and every 61st
    const edgeRows = (m: number) => [...new Set([...Array(13).keys(), ...Array.from({ length: 13 }, (_, i) => m - 13 + i),
      ...Array.from({ length: Math.floor(m / 61) }, (_, i) => 61 * i)])];
    const lcgArray = (len: number, seed: number) => {
      const out = new Float32Array(len);
      let x = seed >>> 0;
      for (let i = 0; i < len; i++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        out[i] = x / 2 ** 31 - 1;
      }
      return out;
    };

    // checkRows (a row-major A only): compare these rows of C with the reference, instead of all
    // (for products too big for the float64 reference in JavaScript)
    function run(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number, pad = 0, checkRows?: number[]) {
      const lda = (ta ? m : k) + pad;
      const ldb = (tb ? k : n) + pad;
      const ldc = n + pad;
      // big operands: a quick LCG in place of the (slower) seeded generator
      const fill = checkRows === undefined ? (len: number) => randomArray(len, rng) : (len: number) => lcgArray(len, rng.int(1 << 30));
      const a = fill((ta ? k : m) * lda);
      const b = fill((tb ? n : k) * ldb);
      // beta = 0 on a big product: C full of NaN (quick to fill), which must not leak
      const c = checkRows !== undefined && beta === 0 ? new Float32Array(m * ldc).fill(NaN) : fill(m * ldc);
      const rows = checkRows ?? Array.from({ length: m }, (_, i) => i);
      const want = new Float64Array(rows.length * n);
      if (checkRows === undefined) want.set(refGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
      else rows.forEach((i, r) => want.set(refGemm(false, tb, 1, n, k, alpha, a.subarray(i * lda), lda, b, ldb, beta, c.subarray(i * ldc), ldc), r * n));
      const before = c.slice();
      linalg.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      const got = new Float64Array(rows.length * n);
      rows.forEach((i, r) => {
        for (let j = 0; j < n; j++) got[r * n + j] = c[i * ldc + j];
      });
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
      it(`${op}: narrow widths 16q + r (r <= 4: the AVX-512 and AVX2 narrow-column paths), with alpha, beta and padding`, () => {
        for (const n of [17, 18, 20, 50, 52, 100, 116, 132]) {
          // k = 700: three K blocks, whose sums the narrow kernel carries from block to block
          for (const [m, k] of [[1, 50], [77, 1], [100, 300], [13, 17], [14, 700]]) {
            run(ta, tb, m, n, k, 1, 0);
            run(ta, tb, m, n, k, 0.5, 1, 2);
          }
          run(ta, tb, 21, n, 700, -1.5, 0.5, 1);
        }
        // 33000 rows (16500 a thread on 2), 4 narrow columns: too many to carry their sums across
        // the K blocks (each block reduced into C instead)
        if (!ta) run(ta, tb, 33000, 20, 300, 1, 0.5, 0, edgeRows(33000));
        for (const k of [33, 700]) {
          const c = new Float32Array(9 * 50).fill(NaN); // beta = 0: C not read, also in the last columns
          linalg.sgemm(ta, tb, 9, 50, k, 1, randomArray(9 * k, rng), ta ? 9 : k, randomArray(k * 50, rng), tb ? k : 50, 0, c, 50);
          expect(c.every(Number.isFinite)).toBe(true);
        }
      });
      if (!ta) {
        it(`${op}: narrow columns give the same bits wherever A sits in memory, and right ones`, () => {
          // lda a multiple of 16: every row of A at the same offset within 64 bytes, which the
          // narrow kernel then reads with aligned loads from up to 15 floats before each block
          // (x86/narrow.inc); that offset must not change a bit of C. 37 x 704 x 50: 3 K blocks, 2
          // narrow columns, a last panel of 5 rows; 9 x 96 x 49: one block; 21 x 320 x 52: 4 columns.
          for (const [m, k, n] of [[37, 704, 50], [9, 96, 49], [21, 320, 52]]) {
            const lda = k;
            const aData = randomArray(m * lda, rng);
            const b = randomArray(tb ? n * k : k * n, rng);
            const c0 = randomArray(m * n, rng);
            const want = refGemm(false, tb, m, n, k, 0.5, aData, lda, b, tb ? k : n, 1, c0, n);
            const store = new Float32Array(m * lda + 16);
            let first: Float32Array | null = null;
            for (let off = 0; off < 16; off++) {
              const a = store.subarray(off, off + m * lda);
              a.set(aData);
              const c = c0.slice();
              linalg.sgemm(false, tb, m, n, k, 0.5, a, lda, b, tb ? k : n, 1, c, n);
              if (first === null) {
                first = c;
                expect(maxError(Float64Array.from(c), want, 1)).toBeLessThan(2e-7 * (k + 1) + 1e-6);
              } else {
                expect({ off, bits: Buffer.from(c.buffer).equals(Buffer.from(first.buffer)) }).toEqual({ off, bits: true });
              }
            }
          }
        });
      }
      it(`${op}: widths up to 16 on small products (the AVX-512 small-N kernel), every row edge, alpha, beta, padding`, () => {
        for (const n of [1, 10, 15, 16]) {
          for (const m of [1, 3, 4, 7, 8, 9, 13, 100]) {
            for (const k of [1, 50, 130]) {
              run(ta, tb, m, n, k, 1, 0);
              run(ta, tb, m, n, k, 0.5, 1, 3);
              run(ta, tb, m, n, k, -2, 0.5, 1);
            }
          }
        }
        const c = new Float32Array(9 * 10).fill(NaN); // beta = 0: C not read
        linalg.sgemm(ta, tb, 9, 10, 33, 1, randomArray(9 * 33, rng), ta ? 9 : 33, randomArray(33 * 10, rng), tb ? 33 : 10, 0, c, 10);
        expect(c.every(Number.isFinite)).toBe(true);
      });
      it(`${op}: widths up to 16 on products big enough to split (the small-N kernel by blocks of rows), on 1 and 2 threads`, () => {
        // 263 and 1001 rows: blocks ending in 7 and 1 rows past the 8-row groups; 128 x 2100: deep
        const threads = linalg.getNumThreads();
        try {
          for (const t of [1, 2]) {
            linalg.setNumThreads(t);
            for (const n of [10, 16]) {
              for (const [m, k] of [[263, 300], [1001, 100], [128, 2100]]) {
                run(ta, tb, m, n, k, 1, 0);
                run(ta, tb, m, n, k, 0.5, 1, 3);
              }
              const c = new Float32Array(40 * n).fill(NaN); // beta = 0 across K blocks: C not read
              linalg.sgemm(ta, tb, 40, n, 2100, 1, randomArray(40 * 2100, rng), ta ? 40 : 2100, randomArray(2100 * n, rng), tb ? 2100 : n, 0, c, n);
              expect(c.every(Number.isFinite)).toBe(true);
            }
          }
        } finally {
          linalg.setNumThreads(threads);
        }
      });
      it(`${op}: widths of an odd number of 48-column slivers (the AVX-512 8 x 48 tile), every row edge`, () => {
        for (const n of [33, 47, 48, 49, 50, 51, 129, 144]) {
          for (const m of [1, 4, 5, 8, 9, 17, 100]) {
            for (const k of [1, 300]) {
              run(ta, tb, m, n, k, 1, 0);
              run(ta, tb, m, n, k, 0.5, 1, 3);
            }
          }
        }
        run(ta, tb, 7, 720, 40, 1, 0.5); // 15 slivers across the 480-column block
      });
      if (!ta) {
        it(`${op}: from 1024 rows and 512 columns (the AVX-512 6 x 64 tile), every row and sliver edge, on 1 and 2 threads`, () => {
          // n % 64 in {0, 32, 40, 49, 60}: full last slivers, last slivers of 3 or 4 vectors with
          // masks, and a width that keeps the 12 x 32 tile (544); 1100 is split in two parts of at
          // least 512 columns on 2 threads (the only width here that 2 threads run on 6 x 64).
          // m % 6 in {0, 1, 2, 3, 5}: every row count of the last
          // panel; k = 330 crosses the K block (two of 168 and 162). 1023 rows keep the 12 x 32 tile.
          const threads = linalg.getNumThreads();
          try {
            for (const t of [1, 2]) {
              linalg.setNumThreads(t);
              for (const n of t === 1 ? [512, 544, 552, 561, 1100] : [1100]) {
                for (const m of [1023, 1026, 1027, 1028, 1029, 1031]) run(ta, tb, m, n, 3, 1, 0, 0, edgeRows(m));
                run(ta, tb, 1027, n, 5, 0.5, 1, 3, edgeRows(1027));
              }
              run(ta, tb, 1031, 561, 330, 1, 0, 0, edgeRows(1031));
              run(ta, tb, 1028, 1100, 330, 0.5, 1, 1, edgeRows(1028));
            }
          } finally {
            linalg.setNumThreads(threads);
          }
        });
      }
      it(`${op}: a B small enough to pack on every part (split by rows on 2 threads), 1 and 2 threads`, () => {
        // 128 x 10 x 512: an output layer's dX = dZ W^T; 300 x 100 x 130 and 61 x 126 x 130: B of
        // 13000 and 16380 floats, just under the limit, the last with a short last part
        const threads = linalg.getNumThreads();
        try {
          for (const t of [1, 2]) {
            linalg.setNumThreads(t);
            for (const [m, k, n] of [[128, 10, 512], [300, 100, 130], [61, 126, 130]]) {
              run(ta, tb, m, n, k, 1, 0);
              run(ta, tb, m, n, k, 0.5, 1, 3);
            }
          }
        } finally {
          linalg.setNumThreads(threads);
        }
      });
      it(`${op}: large shapes crossing the cache blocks (k > KC, m > MC, n > NC)`, () => {
        run(ta, tb, 300, 130, 600, 1, 0);
        run(ta, tb, 3, 4200, 5, 0.5, 1);
        run(ta, tb, 100, 50, 3072, 1, 0);
      });
    }

    it('NT wider than tall (run as C^T = B A^T, then transposed): 1 and 2 threads, padding, alpha, beta', () => {
      const threads = linalg.getNumThreads();
      try {
        for (const t of [1, 2]) {
          linalg.setNumThreads(t);
          // C^T of more than 2^22 floats: its scratch is freed after the call, and made again
          // for the next one
          run(false, true, 20, 210000, 50, 1, 0, 0, [0, 7, 19]);
          // n = 1024: rows of C 4 KiB apart, which AVX-512 transposes 8 at a time (16 elsewhere)
          for (const [m, n, k] of [[17, 300, 200], [40, 257, 129], [33, 1000, 300], [128, 512, 64], [40, 1024, 300]]) {
            const all = Array.from({ length: m }, (_, i) => i);
            run(false, true, m, n, k, 1, 0, 0, all); // beta = 0: C starts as NaN, which must not leak
            run(false, true, m, n, k, 0.5, 0, 3, all);
            run(false, true, m, n, k, 0.5, 1, 3); // beta != 0 keeps the direct product
          }
        }
      } finally {
        linalg.setNumThreads(threads);
      }
    });

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
      for (const [m, n] of [[MR + 3, NR + 3], [11, 10]]) { // the second through the AVX-512 small-N kernel
        const k = 70;
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
      }
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
        // 10, 12, 50: row tails of 8 + 2, 8 + 4 and 2 floats after whole vectors
        for (const cols of [...lengths, 10, 12, 50]) {
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

    it('relu forward and backward (NaN passes forward)', () => {
      for (const n of lengths) {
        const x = randomArray(n + 1, rng);
        x[n >> 1] = NaN;
        const y = new Float32Array(n + 1).fill(5);
        native.activationForward(1, x, y, n); // relu
        for (let i = 0; i < n; i++) {
          if (Number.isNaN(x[i])) expect(Number.isNaN(y[i])).toBe(true);
          else expect(y[i]).toBe(x[i] > 0 ? x[i] : 0);
        }
        expect(y[n]).toBe(5); // past n: untouched
        const dy = randomArray(n, rng);
        const dx = new Float32Array(n);
        native.activationBackward(1, y, dy, dx, n);
        for (let i = 0; i < n; i++) expect(dx[i]).toBe(y[i] > 0 ? dy[i] : 0);
      }
    });

    it('softmaxCrossEntropy: loss and gradient against float64, any class count', () => {
      // up to 16 classes, rows go 16 at a time on AVX-512: 37 rows are two such groups and 5 rows
      for (const c of [1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 33, 100]) {
        for (const n of [1, 5, 37, 64]) {
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
      // the same within a block of 16 rows: a NaN row makes the loss NaN and only its own gradient
      // NaN; an extreme row stays finite
      const rows = 20, c = 10;
      const many = randomArray(rows * c, rng);
      many.set(big, 5 * c);
      const labels = Int32Array.from({ length: rows }, (_, r) => (r === 5 ? 1 : r % c));
      const grad = new Float32Array(rows * c);
      const finite = native.softmaxCrossEntropy(many, labels, rows, c, grad);
      expect(finite).toBeGreaterThan(2e30 / rows * 0.99);
      expect(finite).toBeLessThan(Infinity);
      expect(grad.every(Number.isFinite)).toBe(true);
      many[3 * c + 4] = NaN;
      many[7 * c] = NaN; // first class: vmaxps returns its second operand when one is NaN
      expect(Number.isNaN(native.softmaxCrossEntropy(many, labels, rows, c, grad))).toBe(true);
      for (let r = 0; r < rows; r++) {
        const g = Array.from(grad.subarray(r * c, (r + 1) * c));
        expect({ r, nan: g.map(Number.isNaN) }).toEqual({ r, nan: g.map(() => r === 3 || r === 7) });
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

  describe('activations, exp, SVM, dropout, penalties, optimizers, fused dense', () => {
    const rng = new Rng(13);
    const lengths = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 257, 1000, 2100];
    const ACT = { linear: 0, relu: 1, leakyRelu: 2, tanh: 3, sigmoid: 4 } as const;
    const f64: Record<keyof typeof ACT, (x: number) => number> = {
      linear: (x) => x,
      relu: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
      leakyRelu: (x) => (x < 0 ? Math.fround(x * Math.fround(0.01)) : x),
      tanh: Math.tanh,
      sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    };
    const deriv: Record<keyof typeof ACT, (y: number) => number> = {
      linear: () => 1, relu: (y) => (y > 0 ? 1 : 0), leakyRelu: (y) => (y > 0 ? 1 : 0.01), tanh: (y) => 1 - y * y, sigmoid: (y) => y * (1 - y),
    };

    /** Distance in units in the last place between two floats (bit patterns in sign-magnitude order). */
    const bits = new Int32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    const ordered = (x: number) => {
      asFloat[0] = x;
      return bits[0] >= 0 ? bits[0] : -(bits[0] & 0x7fffffff);
    };
    function maxUlp(fn: (x: number) => number, act: number | 'exp', xs: Float32Array): { ulp: number; at: number } {
      const y = new Float32Array(xs.length);
      if (act === 'exp') native.vecExp(xs, y, xs.length);
      else native.activationForward(act, xs, y, xs.length);
      let worst = { ulp: 0, at: NaN };
      for (let i = 0; i < xs.length; i++) {
        const want = Math.fround(fn(xs[i]));
        if (Math.abs(want) < 1.1754943508222875e-38 || !Number.isFinite(want)) continue; // normal results only
        const d = Math.abs(ordered(y[i]) - ordered(want));
        if (!(d <= worst.ulp)) worst = { ulp: Number.isNaN(d) ? Infinity : d, at: xs[i] };
      }
      return worst;
    }
    function sweep(lo: number, hi: number, count: number): Float32Array {
      const xs = new Float32Array(count);
      for (let i = 0; i < count; i++) xs[i] = lo + ((hi - lo) * i) / (count - 1);
      return xs;
    }
    function logSweep(lo: number, hi: number, count: number): Float32Array { // ± values, log-spaced magnitudes
      const xs = new Float32Array(2 * count);
      for (let i = 0; i < count; i++) xs[2 * i] = -(xs[2 * i + 1] = Math.exp(Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * i) / (count - 1)));
      return xs;
    }

    it('exp, tanh and sigmoid are within 2 ulp of libm (double, rounded) over dense sweeps of >= 10^6 points', () => {
      expect(maxUlp(Math.exp, 'exp', sweep(-87.33, 88.72, 1_200_000)).ulp).toBeLessThanOrEqual(2);
      expect(maxUlp(Math.exp, 'exp', sweep(-1, 1, 300_000)).ulp).toBeLessThanOrEqual(2);
      expect(maxUlp(Math.tanh, ACT.tanh, sweep(-10, 10, 1_000_000)).ulp).toBeLessThanOrEqual(2);
      expect(maxUlp(Math.tanh, ACT.tanh, logSweep(1e-37, 10, 300_000)).ulp).toBeLessThanOrEqual(2);
      expect(maxUlp(f64.sigmoid, ACT.sigmoid, sweep(-87, 20, 1_000_000)).ulp).toBeLessThanOrEqual(2);
      expect(maxUlp(f64.sigmoid, ACT.sigmoid, logSweep(1e-30, 80, 200_000)).ulp).toBeLessThanOrEqual(2);
    });

    it('exp, tanh and sigmoid at the edges: saturation, infinities, NaN', () => {
      const xs = Float32Array.from([-Infinity, -1e30, -200, -104, 89, 100, Infinity, NaN, 0, -0]);
      const e = new Float32Array(xs.length);
      native.vecExp(xs, e, xs.length);
      expect(Array.from(e.subarray(0, 7))).toEqual([0, 0, 0, 0, Infinity, Infinity, Infinity]);
      expect(Number.isNaN(e[7])).toBe(true);
      expect([e[8], e[9]]).toEqual([1, 1]);
      const t = new Float32Array(xs.length);
      native.activationForward(ACT.tanh, xs, t, xs.length);
      expect(Array.from(t.subarray(0, 7))).toEqual([-1, -1, -1, -1, 1, 1, 1]);
      expect(Number.isNaN(t[7])).toBe(true);
      expect(Object.is(t[9], -0)).toBe(true);
      const s = new Float32Array(xs.length);
      native.activationForward(ACT.sigmoid, xs, s, xs.length);
      expect(Array.from(s.subarray(0, 7))).toEqual([0, 0, 0, Math.fround(1 / (1 + Math.exp(104))), 1, 1, 1]);
      expect(Number.isNaN(s[7])).toBe(true);
    });

    it('activation forward and backward on every length', () => {
      for (const [name, code] of Object.entries(ACT) as Array<[keyof typeof ACT, number]>) {
        for (const n of lengths) {
          const x = randomArray(n, rng, 4);
          const y = new Float32Array(n + 1).fill(9);
          native.activationForward(code, x, y, n);
          expect(y[n]).toBe(9);
          expect(maxError(y.subarray(0, n), Array.from(x, f64[name]), 1e-6)).toBeLessThan(3e-7);
          const dy = randomArray(n, rng);
          const dx = new Float32Array(n);
          native.activationBackward(code, y, dy, dx, n);
          expect(maxError(dx, Array.from(y.subarray(0, n), (v, i) => dy[i] * deriv[name](v)), 1)).toBeLessThan(1e-6); // 1 - y² in float (no FMA on the scalar path) loses ~1e-7 absolute
        }
      }
    });

    it('svmLoss: mean hinge loss and its gradient against float64', () => {
      for (const c of [1, 2, 3, 9, 10, 17, 33]) {
        for (const n of [1, 7, 64]) {
          const s = randomArray(n * c, rng, 2);
          const y = Int32Array.from({ length: n }, () => rng.int(c));
          let want = 0;
          const wantGrad = new Float64Array(n * c);
          for (let r = 0; r < n; r++) {
            for (let j = 0; j < c; j++) {
              if (j === y[r]) continue;
              const margin = s[r * c + j] - s[r * c + y[r]] + 1;
              if (margin > 0) {
                want += margin;
                wantGrad[r * c + j] += 1 / n;
                wantGrad[r * c + y[r]] -= 1 / n;
              }
            }
          }
          want /= n;
          const grad = new Float32Array(n * c);
          expect(Math.abs(native.svmLoss(s, y, n, c, grad) - want)).toBeLessThan(1e-5 * (1 + want));
          expect(maxError(grad, wantGrad, 1 / n)).toBeLessThan(1e-6);
        }
      }
      // 10 classes, tiny scores: the initial loss is about C - 1
      const tiny = randomArray(100 * 10, rng, 1e-4);
      expect(native.svmLoss(tiny, Int32Array.from({ length: 100 }, (_, i) => i % 10), 100, 10, null)).toBeCloseTo(9, 2);
      expect(Number.isNaN(native.svmLoss(Float32Array.from([0, NaN]), Int32Array.from([0]), 1, 2, null))).toBe(true);
    });

    it('dropoutForward: inverted masks from a counter-based hash, identical on every ISA', () => {
      // The same hash in TypeScript: every ISA path must produce exactly these masks.
      const hash = (seed: number, i: number) => {
        let h = (Math.imul(i, 0x9e3779b1) + Math.imul(seed, 0x85ebca77) + 0x165667b1) >>> 0;
        h = (h ^ (h >>> 16)) >>> 0;
        h = Math.imul(h, 0x85ebca6b) >>> 0;
        h = (h ^ (h >>> 13)) >>> 0;
        h = Math.imul(h, 0xc2b2ae35) >>> 0;
        return (h ^ (h >>> 16)) >>> 0;
      };
      for (const n of [...lengths, 100_000]) {
        const keep = 0.7;
        const x = randomArray(n, rng);
        const y = new Float32Array(n);
        const mask = new Float32Array(n);
        native.dropoutForward(x, y, mask, n, keep, 1234);
        const scale = Math.fround(1 / Math.fround(keep));
        let wrongMask = 0;
        let wrongY = 0;
        for (let i = 0; i < n; i++) {
          const u = Math.fround((hash(1234, i) >>> 8) / 16777216);
          if (mask[i] !== (u < Math.fround(keep) ? scale : 0)) wrongMask++;
          if (y[i] !== Math.fround(x[i] * mask[i])) wrongY++;
        }
        expect([wrongMask, wrongY]).toEqual([0, 0]);
        if (n === 100_000) {
          const kept = mask.reduce((a, m) => a + (m > 0 ? 1 : 0), 0) / n;
          expect(Math.abs(kept - keep)).toBeLessThan(0.01);
          const other = new Float32Array(n);
          native.dropoutForward(x, y, other, n, keep, 1235);
          expect(other).not.toEqual(mask); // another seed, another mask
        }
      }
    });

    it('mseLoss and vecMul', () => {
      for (const n of [1, 3, 17]) {
        for (const c of [1, 2, 9]) {
          const p = randomArray(n * c, rng);
          const t = randomArray(n * c, rng);
          const grad = new Float32Array(n * c);
          const want = 0.5 * p.reduce((a, v, i) => a + (v - t[i]) ** 2, 0) / n;
          expect(native.mseLoss(p, t, n, c, grad)).toBeCloseTo(want, 6);
          expect(maxError(grad, Array.from(p, (v, i) => (v - t[i]) / n))).toBeLessThan(1e-7);
          const y = new Float32Array(n * c);
          native.vecMul(p, t, y, n * c);
          expect(Array.from(y)).toEqual(Array.from(p, (v, i) => Math.fround(v * t[i])));
        }
      }
    });

    it('penalty: L1, L2 and elastic net with their gradients', () => {
      for (const n of lengths) {
        const w = randomArray(n, rng);
        w[0] = 0;
        for (const [l1, l2] of [[0.3, 0], [0, 0.7], [0.2, 0.5]]) {
          const want = Math.fround(l1) * w.reduce((a, v) => a + Math.abs(v), 0) + 0.5 * Math.fround(l2) * w.reduce((a, v) => a + v * v, 0);
          const wantGrad = Array.from(w, (v) => l1 * Math.sign(v) + l2 * v);
          const grad = new Float32Array(n);
          // blocks of 512 summed in float, then in double: relative error well under 1e-6
          expect(Math.abs(native.penalty(w, n, l1, l2, grad, false) - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-12);
          expect(Math.abs(native.penalty(w, n, l1, l2, null, false) - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-12);
          expect(maxError(grad, wantGrad)).toBeLessThan(1e-6);
          const acc = new Float32Array(n).fill(1);
          native.penalty(w, n, l1, l2, acc, true);
          expect(maxError(acc, wantGrad.map((g) => g + 1))).toBeLessThan(1e-6);
        }
      }
    });

    it('penalty: the same value on 1 and 2 threads (the split falls between float blocks)', () => {
      // 66048 floats on 2 threads: half is 33024 = 129 x 256, so the split must move its cut to a
      // multiple of 512 (33280), where the blocks summed in float are cut whatever the split, or
      // the value moves at float precision (~1e-8 relative). Only the order of the blocks' double
      // additions may differ: 1e-12 allows that.
      const w = randomArray(66048, rng);
      for (const [l1, l2] of [[0.3, 0.2], [0, 0.7]]) {
        const one = native.penalty(w, w.length, l1, l2, null, false, 1);
        expect(Math.abs(native.penalty(w, w.length, l1, l2, null, false, 2) - one)).toBeLessThanOrEqual(1e-12 * one);
      }
    });

    it('optimizer updates: Nesterov, Adagrad, RMSProp, Adam (bias-corrected) against float64', () => {
      for (const n of lengths) {
        const w0 = randomArray(n, rng);
        const g = randomArray(n, rng);
        const s0 = Float32Array.from(randomArray(n, rng), Math.abs);
        const check = (run: (w: Float32Array, s: Float32Array, s2: Float32Array) => void, want: (w: number, g: number, s: number) => number) => {
          const w = w0.slice();
          const s = s0.slice();
          run(w, s, s0.slice());
          expect(maxError(w, Array.from(w0, (v, i) => want(v, g[i], s0[i])))).toBeLessThan(2e-6);
        };
        check((w, v) => native.nesterovUpdate(w, g, v, n, 0.1, 0.9), (w, gi, v) => w - 0.9 * v + 1.9 * (0.9 * v - 0.1 * gi));
        check((w, c) => native.adagradUpdate(w, g, c, n, 0.1, 1e-8), (w, gi, c) => w - (0.1 * gi) / (Math.sqrt(c + gi * gi) + 1e-8));
        check((w, c) => native.rmspropUpdate(w, g, c, n, 0.1, 0.99, 1e-8), (w, gi, c) => w - (0.1 * gi) / (Math.sqrt(0.99 * c + 0.01 * gi * gi) + 1e-8));
        for (const step of [1, 2, 10]) {
          check((w, m, v) => native.adamUpdate(w, g, m, v, n, 1e-3, 0.9, 0.999, 1e-8, step), (w, gi, s) => {
            const m = 0.9 * s + 0.1 * gi;
            const v = 0.999 * s + 0.001 * gi * gi;
            return w - (1e-3 * (m / (1 - 0.9 ** step))) / (Math.sqrt(v / (1 - 0.999 ** step)) + 1e-8);
          });
        }
      }
    });

    it('Adagrad, RMSProp, Adam: each step within 3 ulp of lr·g / (sqrt(state) + eps), and its edges', () => {
      // The vector paths multiply by a refined reciprocal estimate instead of dividing. From w = 0
      // the new w is minus the step, rounded once; the reference takes the state the kernel wrote
      // (Adam: beta1 0, so m = g; beta2 0.5 at step 1, so the bias correction doubles v exactly).
      const n = 2003; // vectors and a scalar tail on every path
      const g = randomArray(n, rng);
      const s0 = Float32Array.from(randomArray(n, rng), (v) => Math.abs(v) * 10 ** (6 * v)); // state over 12 decades
      const steps: Array<[string, (w: Float32Array, s: Float32Array) => void, (gi: number, s: number) => number]> = [
        ['adagrad', (w, c) => native.adagradUpdate(w, g, c, n, 0.1, 1e-8), (gi, c) => (0.1 * gi) / (Math.sqrt(c) + 1e-8)],
        ['rmsprop', (w, c) => native.rmspropUpdate(w, g, c, n, 0.1, 0.9, 1e-8), (gi, c) => (0.1 * gi) / (Math.sqrt(c) + 1e-8)],
        ['adam', (w, v) => native.adamUpdate(w, g, new Float32Array(n), v, n, 0.1, 0, 0.5, 1e-8, 1), (gi, v) => (0.1 * gi) / (Math.sqrt(2 * v) + 1e-8)],
      ];
      for (const [name, run, step] of steps) {
        const w = new Float32Array(n);
        const state = s0.slice();
        run(w, state);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          const want = -step(g[i], state[i]);
          worst = Math.max(worst, Math.abs(w[i] - want) / Math.abs(want));
        }
        // measured: 1.5-1.7 ulp dividing (scalar), 1.7-1.9 with the refined estimate; the estimate
        // alone is 2^-14 (AVX-512) or 2^-12 (AVX2) off
        expect({ name, ok: worst <= 3 * 2 ** -23 }).toEqual({ name, ok: true });
        // infinite state: 1 / inf = 0 and the weights do not move (a Newton step there is inf * 0)
        const still = Float32Array.from(g);
        run(still, new Float32Array(n).fill(Infinity));
        expect({ name, still: Array.from(still) }).toEqual({ name, still: Array.from(g) });
      }
      // zero state and gradient: 0 / eps is exactly 0
      const w = Float32Array.from(g);
      const zero = new Float32Array(n);
      native.adagradUpdate(w, zero, new Float32Array(n), n, 0.1, 1e-8);
      native.rmspropUpdate(w, zero, new Float32Array(n), n, 0.1, 0.9, 1e-8);
      native.adamUpdate(w, zero, new Float32Array(n), new Float32Array(n), n, 0.1, 0.9, 0.999, 1e-8, 1);
      expect(Array.from(w)).toEqual(Array.from(g));
    });

    it('denseForward and denseBackward match GEMM + bias + activation, with and without dX and penalties', () => {
      // 300 x 20 x 250: bias, activation and its derivative split over the pool (75,000 elements)
      for (const [n, inn, out] of [[1, 1, 1], [7, 13, 5], [100, 64, 50], [33, 257, 17], [300, 20, 250]]) {
        for (const [name, code] of Object.entries(ACT) as Array<[keyof typeof ACT, number]>) {
          const x = randomArray(n * inn, rng);
          const w = randomArray(inn * out, rng, 0.5);
          const b = randomArray(out, rng);
          const y = new Float32Array(n * out);
          native.denseForward(x, w, b, y, n, inn, out, code, 0);
          const z = refGemm(false, false, n, out, inn, 1, x, inn, w, out, 0, new Float32Array(0), out);
          expect(maxError(y, Array.from(z, (v, i) => f64[name](Math.fround(v + b[i % out]))), 1)).toBeLessThan(1e-6 * (inn + 1));
          const dy = randomArray(n * out, rng);
          const dzWant = Array.from(dy, (v, i) => v * deriv[name](y[i]));
          const dz = new Float32Array(n * out);
          const dw = new Float32Array(inn * out);
          const db = new Float32Array(out);
          const dx = new Float32Array(n * inn);
          const penalty = native.denseBackward(x, w, y, dy, dz, dw, db, dx, n, inn, out, code, 0.1, 0.2, 0);
          expect(maxError(dz, dzWant, 1)).toBeLessThan(1e-6);
          const dzf = Float32Array.from(dzWant);
          const dwWant = refGemm(true, false, inn, out, n, 1, x, inn, dzf, out, 0, new Float32Array(0), out).map((v, i) => v + 0.1 * Math.sign(w[i]) + 0.2 * w[i]);
          expect(maxError(dw, dwWant, 1)).toBeLessThan(1e-5 * (n + 1));
          expect(maxError(dx, refGemm(false, true, n, inn, out, 1, dzf, out, w, out, 0, new Float32Array(0), inn), 1)).toBeLessThan(1e-5 * (out + 1));
          const dbWant = new Float64Array(out);
          dzWant.forEach((v, i) => (dbWant[i % out] += v));
          expect(maxError(db, dbWant, 1)).toBeLessThan(1e-5 * (n + 1));
          expect(penalty).toBeCloseTo(0.1 * w.reduce((a, v) => a + Math.abs(v), 0) + 0.1 * w.reduce((a, v) => a + v * v, 0), 3);
          // first layer: no dX; no penalty: dW is X^T dZ alone
          const dw2 = new Float32Array(inn * out).fill(NaN);
          expect(native.denseBackward(x, w, y, dy, dz, dw2, null, null, n, inn, out, code, 0, 0, 0)).toBe(0);
          expect(maxError(dw2, refGemm(true, false, inn, out, n, 1, x, inn, dzf, out, 0, new Float32Array(0), out), 1)).toBeLessThan(1e-5 * (n + 1));
        }
      }
    });

    // A data set of n + extra random rows, n of them picked by index, and those rows gathered.
    const indexedBatch = (n: number, inn: number, extra: number, offset: number) => {
      const nData = n + extra;
      const data = randomArray(nData * inn, rng);
      const rows = Int32Array.from({ length: n }, (_, i) => (i * 7919 + offset) % nData);
      const x = new Float32Array(n * inn);
      rows.forEach((r, i) => x.set(data.subarray(r * inn, (r + 1) * inn), i * inn));
      return { data, rows, x };
    };

    it('denseForward on several threads, split by depth along the rows of W that dW gives each core, matches GEMM + bias + activation', () => {
      // 128 x 784 x 512 (the MLP's first layer: 396 + 388 rows of W on 2 threads), 128 x 300 x 512
      // (156 + 144), 64 x 1000 x 300 on 3 threads (three parts), and with the batch as row indices
      for (const [n, inn, out, threads] of [[128, 784, 512, 2], [128, 300, 512, 2], [64, 1000, 300, 3]]) {
        const { data, rows, x } = indexedBatch(n, inn, 11, 5);
        const w = randomArray(inn * out, rng, 0.5);
        const b = randomArray(out, rng);
        const z = refGemm(false, false, n, out, inn, 1, x, inn, w, out, 0, new Float32Array(0), out);
        const want = Array.from(z, (v, i) => Math.max(0, Math.fround(v + b[i % out])));
        const y = new Float32Array(n * out).fill(NaN);
        native.denseForward(x, w, b, y, n, inn, out, ACT.relu, threads);
        expect(maxError(y, want, 1)).toBeLessThan(1e-6 * (inn + 1));
        const yRows = new Float32Array(n * out).fill(NaN);
        native.denseForward(data, w, b, yRows, n, inn, out, ACT.relu, threads, rows);
        expect(yRows.filter((v, i) => !Object.is(v, y[i])).length).toBe(0);
        expect(y.some((v) => v > 0)).toBe(true);
      }
    });

    it('dense layers on a batch given as row indices match the gathered batch, however the products are split', () => {
      // forward X·W split along K, N and M; dW = Xᵀ·dZ along M, N and K (the indexed rows offset in
      // each); 100 x 50 x 10, an output layer, through the AVX-512 small-N kernel; 1030 x 40 x 512
      // through the 6 x 64 tile (1030 = 171 x 6 + 4: a short last panel of indexed rows); 40 x 2100 x 10
      // and 2100 x 5 x 10: the small-N kernel's K blocks in X·W and in Xᵀ·dZ. The tiles and the
      // narrow kernel read indexed rows through pointers: 37 x 700 x 50 (8 x 48 tile, a last panel of
      // 5 rows, 3 K blocks, 2 narrow columns), 26 x 300 x 97 (1 narrow column), 7 x 33 x 20 (fewer
      // rows than any tile, 4 narrow columns), 50 x 1000 x 64 (two 32-column slivers)
      for (const [n, inn, out] of [[100, 3072, 50], [128, 300, 512], [1030, 40, 512], [2000, 20, 20], [100, 50, 10], [13, 7, 3],
        [40, 2100, 10], [2100, 5, 10], [37, 700, 50], [26, 300, 97], [7, 33, 20], [50, 1000, 64]]) {
        const { data, rows, x } = indexedBatch(n, inn, 37, 3);
        const w = randomArray(inn * out, rng, 0.5);
        const b = randomArray(out, rng);
        const dy = randomArray(n * out, rng);
        for (const threads of [1, 2]) {
          const y1 = new Float32Array(n * out), y2 = new Float32Array(n * out);
          native.denseForward(x, w, b, y1, n, inn, out, ACT.relu, threads);
          native.denseForward(data, w, b, y2, n, inn, out, ACT.relu, threads, rows);
          // the same arithmetic on the same numbers: equal bit for bit
          expect(y2.filter((v, i) => !Object.is(v, y1[i])).length).toBe(0);
          expect(y1.some((v) => v !== 0)).toBe(true);
          const dw1 = new Float32Array(inn * out), dw2 = new Float32Array(inn * out).fill(NaN);
          const p1 = native.denseBackward(x, w, y1, dy, new Float32Array(n * out), dw1, null, null, n, inn, out, ACT.relu, 0, 0.2, threads);
          const p2 = native.denseBackward(data, w, y1, dy, new Float32Array(n * out), dw2, null, null, n, inn, out, ACT.relu, 0, 0.2, threads, rows);
          expect(maxError(dw2, Array.from(dw1), 1)).toBeLessThan(1e-5 * (n + 1));
          expect(p2).toBe(p1);
        }
      }
    });

    it('denseBackwardUpdate takes the step denseBackward and the update kernels take, however dW is computed', () => {
      // dW = Xᵀ·dZ handed to the step: a few rows at a time from scratch, never stored, when the
      // product is one K block deep and one N block wide (100 x 3072 x 50 by blocks with its 2 narrow
      // columns; 128 x 300 x 512 panel by panel; 37 x 520 x 50 through row indices); stored, then
      // stepped by blocks of rows (100 x 50 x 10: small-N kernel; 700 x 40 x 64: three K blocks)
      // or in a pass of its own (2000 x 4 x 40: split along K; 64 x 4 x 4096: along N); 7 x 13 x 5
      const lr = 0.05, mu = 0.9;
      const updates = [
        { kind: 1, name: 'sgd', ref: (w: Float32Array, g: Float32Array) => native.sgdUpdate(w, g, w.length, lr) },
        { kind: 2, name: 'momentum', ref: (w: Float32Array, g: Float32Array, v: Float32Array) => native.momentumUpdate(w, g, v, w.length, lr, mu) },
        { kind: 3, name: 'nesterov', ref: (w: Float32Array, g: Float32Array, v: Float32Array) => native.nesterovUpdate(w, g, v, w.length, lr, mu) },
      ];
      const shapes: Array<[number, number, number, boolean]> = [[100, 3072, 50, true], [128, 300, 512, false], [37, 520, 50, true],
        [100, 50, 10, false], [700, 40, 64, false], [2000, 4, 40, false], [64, 4, 4096, false], [7, 13, 5, true]];
      // |a - b| within a few float roundings of the step's terms (v' = mu v - lr g and w + v' cancel),
      // plus lr (1 + mu) times the gradient's own rounding, which depends on how the product was cut:
      // n roundings of sum |x| |dz| (gAbs)
      const within = (a: Float32Array, b: Float32Array, before: Float32Array, g: Float32Array, v: Float32Array | null, gAbs: ArrayLike<number>, n: number) => {
        for (let i = 0; i < a.length; i++) {
          const scale = Math.abs(before[i]) + Math.abs(b[i]) + lr * Math.abs(g[i]) + (v !== null ? 2 * mu * Math.abs(v[i]) : 0);
          if (!(Math.abs(a[i] - b[i]) <= 6 * 2 ** -24 * scale + lr * (1 + mu) * n * 2 ** -24 * gAbs[i])) return false;
        }
        return true;
      };
      for (const [n, inn, out, indexed] of shapes) {
        const nData = indexed ? n + 11 : n;
        const data = randomArray(nData * inn, rng);
        const rows = indexed ? Int32Array.from({ length: n }, (_, i) => (i * 7919 + 5) % nData) : null;
        const w0 = randomArray(inn * out, rng, 0.5);
        const b0 = randomArray(out, rng);
        const y = randomArray(n * out, rng).map(Math.abs);
        const dy = randomArray(n * out, rng);
        const v0 = randomArray(inn * out, rng, 0.1);
        const vb0 = randomArray(out, rng, 0.1);
        const xAbs = new Float32Array(n * inn);
        for (let r = 0; r < n; r++) for (let j = 0; j < inn; j++) xAbs[r * inn + j] = Math.abs(data[(rows !== null ? rows[r] : r) * inn + j]);
        const dyAbs = dy.map(Math.abs);
        const gAbs = refGemm(true, false, inn, out, n, 1, xAbs, inn, dyAbs, out, 0, new Float32Array(0), out);
        const dbAbs = new Float64Array(out);
        dyAbs.forEach((v, i) => (dbAbs[i % out] += v));
        for (const u of updates) {
          for (const [l1, l2] of [[0, 0], [0, 0.2], [0.1, 0.2]]) {
            for (const threads of [1, 2]) {
              const label = `${n}x${inn}x${out} ${u.name} l1 ${l1} l2 ${l2} ${threads}T`;
              // reference: the gradient stored, then the update kernels
              const wr = w0.slice(), br = b0.slice(), vr = v0.slice(), vbr = vb0.slice();
              const dwr = new Float32Array(inn * out), dbr = new Float32Array(out), dxr = new Float32Array(n * inn);
              const pr = native.denseBackward(data, wr, y, dy, new Float32Array(n * out), dwr, dbr, dxr, n, inn, out, ACT.relu, l1, l2, threads, rows);
              u.ref(wr, dwr, vr);
              u.ref(br, dbr, vbr);
              // fused
              const wf = w0.slice(), bf = b0.slice(), vf = v0.slice(), vbf = vb0.slice();
              const dbf = new Float32Array(out), dxf = new Float32Array(n * inn), pen = new Float64Array(2);
              native.denseBackwardUpdate(data, wf, y, dy, new Float32Array(n * out), new Float32Array(inn * out), dbf, dxf, n, inn, out,
                ACT.relu, l1, l2, threads, rows, u.kind, lr, mu, u.kind === 1 ? null : vf, bf, u.kind === 1 ? null : vbf, pen);
              // dX from W before the step, and db: the same kernels on the same numbers
              expect({ label, dx: dxf.filter((v, i) => !Object.is(v, dxr[i])).length, db: dbf.filter((v, i) => !Object.is(v, dbr[i])).length })
                .toEqual({ label, dx: 0, db: 0 });
              // the step: the same arithmetic, up to the rounding of a fused multiply-add
              const stateful = u.kind !== 1;
              expect({
                label,
                w: within(wf, wr, w0, dwr, stateful ? v0 : null, gAbs, n),
                b: within(bf, br, b0, dbr, stateful ? vb0 : null, dbAbs, 0),
                v: !stateful || within(vf, vr, v0, dwr, v0, gAbs, n),
                vb: !stateful || within(vbf, vbr, vb0, dbr, vb0, dbAbs, 0),
              }).toEqual({ label, w: true, b: true, v: true, vb: true });
              expect({ label, moved: wf.some((v, i) => v !== w0[i]) }).toEqual({ label, moved: true });
              // penalties of W before and after the step
              const after = native.penalty(wr, wr.length, l1, l2, null, false);
              const close = (a: number, b: number) => (b === 0 ? a === 0 : Math.abs(a - b) / b < 1e-5);
              expect({ label, before: close(pen[0], pr), after: close(pen[1], after) }).toEqual({ label, before: true, after: true });
            }
          }
        }
      }
    });

    it('denseBackwardUpdate: NaN in dY reaches W and no bias means no bias step', () => {
      const n = 20, inn = 30, out = 64;
      const x = randomArray(n * inn, rng), w = randomArray(inn * out, rng), y = randomArray(n * out, rng), dy = randomArray(n * out, rng);
      dy[5] = NaN; // row 0, column 5: column 5 of dW is NaN in every row
      const v = new Float32Array(inn * out), pen = new Float64Array(2);
      native.denseBackwardUpdate(x, w, y, dy, new Float32Array(n * out), new Float32Array(inn * out), null, null, n, inn, out, ACT.linear,
        0, 0.1, 2, null, 2, 0.1, 0.9, v, null, null, pen);
      for (let r = 0; r < inn; r++) expect([r, Number.isNaN(w[r * out + 5]), Number.isNaN(w[r * out + 6])]).toEqual([r, true, false]);
      expect(Number.isNaN(pen[1])).toBe(true);
    });

    it('denseBackward adds the penalty onto dW block by block however the dW product is split over threads', () => {
      // dW = X^T dZ is inn x out with depth n. With a penalty it is split along its rows whenever
      // it has a row tile per thread (the penalty then fused block by block); with 4 rows it has
      // not, and it is split along its depth (n = 2000) or its columns (n = 64, too shallow to split)
      // (600 x 500 x 10: the small-N kernel by blocks of rows)
      for (const [n, inn, out] of [[100, 3072, 50], [128, 300, 512], [2000, 20, 20], [2000, 4, 40], [64, 4, 4096], [100, 50, 10], [500, 600, 10]]) {
        const x = randomArray(n * inn, rng);
        const w = randomArray(inn * out, rng, 0.5);
        const y = randomArray(n * out, rng).map(Math.abs);
        const dy = randomArray(n * out, rng);
        const dwWant = refGemm(true, false, inn, out, n, 1, x, inn, dy, out, 0, new Float32Array(0), out).map((v, i) => v + 0.1 * Math.sign(w[i]) + 0.2 * w[i]);
        const penaltyWant = 0.1 * w.reduce((a, v) => a + Math.abs(v), 0) + 0.1 * w.reduce((a, v) => a + v * v, 0);
        for (const threads of [1, 2]) {
          const dw = new Float32Array(inn * out).fill(NaN);
          const penalty = native.denseBackward(x, w, y, dy, new Float32Array(n * out), dw, null, null, n, inn, out, ACT.linear, 0.1, 0.2, threads);
          expect(maxError(dw, dwWant, 1)).toBeLessThan(1e-5 * (n + 1));
          expect(Math.abs(penalty - penaltyWant) / penaltyWant).toBeLessThan(1e-5);
        }
      }
    });
  });
});
