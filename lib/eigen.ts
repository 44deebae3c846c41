/**
 * Symmetric eigendecomposition for preprocessing (PCA, whitening): the covariance comes from a
 * native GEMM; its leading eigenvectors from block subspace iteration (native GEMMs for C·Q,
 * Cholesky–QR in float64 to re-orthonormalize) with a Rayleigh–Ritz step, and the small
 * projected problem (or a small covariance outright) from cyclic Jacobi in float64.
 */
import { native } from './native';
import { Rng } from './rng';

/** Eigenvalues (descending) and eigenvectors (columns of a row-major n x n) of a symmetric matrix, by cyclic Jacobi. */
export function jacobiEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        // rotation angle that zeroes m[p][q]
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) for (let r = 0; r < n; r++) vectors[r * n + c] = v[r * n + order[c]];
  return { values, vectors };
}

/** Covariance (d x d, float32) of n x d rows around `mean`. */
export function covariance(x: Float32Array, d: number, mean: Float32Array): Float32Array {
  const n = x.length / d;
  const xc = new Float32Array(x.length);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) xc[r * d + j] = x[r * d + j] - mean[j];
  const c = new Float32Array(d * d);
  native.sgemm(true, false, d, d, n, 1 / n, xc, d, xc, d, 0, c, d, 0);
  return c;
}

/**
 * The k leading eigenpairs of a symmetric d x d matrix (float32): values descending, vectors as
 * the columns of a d x k row-major Float64Array.
 */
export function topEigen(c: Float32Array, d: number, k: number, seed = 1): { values: Float64Array; vectors: Float64Array } {
  if (k + 8 >= d || d <= 256) {
    const full = jacobiEigen(Float64Array.from(c), d);
    const vectors = new Float64Array(d * k);
    for (let r = 0; r < d; r++) for (let j = 0; j < k; j++) vectors[r * k + j] = full.vectors[r * d + j];
    return { values: full.values.subarray(0, k), vectors };
  }
  const b = Math.min(d, k + 10); // oversampled block
  const rng = new Rng(seed);
  let q: Float32Array = Float32Array.from({ length: d * b }, () => rng.gaussian());
  q = orthonormalize(q, d, b);
  const z = new Float32Array(d * b);
  for (let it = 0; it < 40; it++) {
    native.sgemm(false, false, d, b, d, 1, c, d, q, b, 0, z, b, 0); // Z = C·Q
    q = orthonormalize(z, d, b);
  }
  // Rayleigh–Ritz: eigen of the b x b matrix Qᵀ C Q, rotated back into the d-space
  native.sgemm(false, false, d, b, d, 1, c, d, q, b, 0, z, b, 0);
  const small = new Float32Array(b * b);
  native.sgemm(true, false, b, b, d, 1, q, b, z, b, 0, small, b, 0);
  const sym = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) sym[i * b + j] = 0.5 * (small[i * b + j] + small[j * b + i]);
  const e = jacobiEigen(sym, b);
  const vectors = new Float64Array(d * k);
  for (let r = 0; r < d; r++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < b; t++) s += q[r * b + t] * e.vectors[t * b + j];
      vectors[r * k + j] = s;
    }
  }
  return { values: e.values.subarray(0, k), vectors };
}

/** Orthonormal columns spanning those of a d x b matrix: Cholesky–QR, twice for stability. */
function orthonormalize(a: Float32Array, d: number, b: number): Float32Array {
  let cur: Float32Array = a;
  for (let pass = 0; pass < 2; pass++) {
    const g32 = new Float32Array(b * b);
    native.sgemm(true, false, b, b, d, 1, cur, b, cur, b, 0, g32, b, 0); // Gram matrix AᵀA
    const g = Float64Array.from(g32);
    // Cholesky G = RᵀR (R upper), with a tiny shift for a rank-deficient block
    const r = new Float64Array(b * b);
    let trace = 0;
    for (let i = 0; i < b; i++) trace += g[i * b + i];
    const shift = 1e-12 * trace;
    for (let i = 0; i < b; i++) {
      for (let j = i; j < b; j++) {
        let s = g[i * b + j] + (i === j ? shift : 0);
        for (let t = 0; t < i; t++) s -= r[t * b + i] * r[t * b + j];
        if (i === j) r[i * b + i] = Math.sqrt(Math.max(s, 1e-300));
        else r[i * b + j] = s / r[i * b + i];
      }
    }
    // R⁻¹ (upper), then A·R⁻¹
    const inv = new Float64Array(b * b);
    for (let j = 0; j < b; j++) {
      inv[j * b + j] = 1 / r[j * b + j];
      for (let i = j - 1; i >= 0; i--) {
        let s = 0;
        for (let t = i + 1; t <= j; t++) s += r[i * b + t] * inv[t * b + j];
        inv[i * b + j] = -s / r[i * b + i];
      }
    }
    const out = new Float32Array(d * b);
    native.sgemm(false, false, d, b, b, 1, cur, b, Float32Array.from(inv), b, 0, out, b, 0);
    cur = out;
  }
  return cur;
}
