/** Float64 references and seeded data for kernel tests. */
import { Rng } from '../../lib/rng';

export const ROOT = require('path').join(__dirname, '..', '..') as string;
export const SHARED_DATA = require('path').join(ROOT, '..', 'shared', 'data') as string;

export function randomArray(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (rng.uniform() * 2 - 1);
  return a;
}

/** C = alpha · op(A) · op(B) + beta · C in float64 (beta = 0: C not read), returned as m x n. */
export function refGemm(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number,
  b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (alpha !== 0) for (let p = 0; p < k; p++) s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      out[i * n + j] = (alpha === 0 ? 0 : alpha * s) + (beta === 0 ? 0 : beta * c[i * ldc + j]);
    }
  }
  return out;
}

/** max |got − want| / (|want| + scale), the error of a float32 result against a float64 reference. */
export function maxError(got: ArrayLike<number>, want: ArrayLike<number>, scale = 1): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + scale);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}
