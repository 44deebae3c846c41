/**
 * Linear algebra on row-major Float32Arrays, backed by the native kernels.
 *
 * @example
 * import { linalg } from 'nnkit';
 * const c = new Float32Array(m * n);
 * linalg.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n); // c = a · b
 */
import * as is from './is';
import { Isa, native } from './native';

/** Elements a rows x cols matrix with leading dimension ld spans (after checking ld >= cols). */
function span(name: string, rows: number, cols: number, ld: number): number {
  if (ld < Math.max(1, cols)) throw is.shapeError(`ld${name.toLowerCase()}`, `integer >= ${Math.max(1, cols)}`, ld);
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

function checkLength(name: string, array: Float32Array, need: number): void {
  if (array.length < need) throw is.shapeError(`${name}.length`, `at least ${need}`, array.length);
}

export const linalg = {
  /** The kernel path in use: 'avx512', 'avx2' or 'scalar' (NNKIT_ISA caps it). */
  get isa(): Isa {
    return native.isa;
  },

  /**
   * Sets the process-wide default number of threads the kernels use (initially NNKIT_NUM_THREADS,
   * else the number of cores). Training jobs can ask for their own count per call.
   * @throws {NnError} NNKIT_ERR_ARG unless an integer in [1, 1024].
   */
  setNumThreads(threads: number): void {
    if (!(Number.isInteger(threads) && threads >= 1 && threads <= 1024)) throw is.invalid('threads', 'integer in [1, 1024]', threads);
    native.setNumThreads(threads);
  },

  /** The process-wide default number of kernel threads. */
  getNumThreads(): number {
    return native.getNumThreads();
  },

  /**
   * C = alpha · op(A) · op(B) + beta · C with BLAS semantics: op(A) is m x k, op(B) is k x n.
   * With beta = 0, C is not read (NaN in C does not leak); with alpha = 0, A and B are not read.
   * @throws {NnError} NNKIT_ERR_ARG for a bad argument, NNKIT_ERR_SHAPE for sizes the arrays cannot hold.
   */
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, A: Float32Array, lda: number,
    B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number): void {
    is.boolean(transA, 'transA');
    is.boolean(transB, 'transB');
    is.nonNegativeInteger(m, 'm');
    is.nonNegativeInteger(n, 'n');
    is.nonNegativeInteger(k, 'k');
    if (typeof alpha !== 'number') throw is.invalid('alpha', 'number', alpha);
    if (typeof beta !== 'number') throw is.invalid('beta', 'number', beta);
    is.float32Array(A, 'A');
    is.float32Array(B, 'B');
    is.float32Array(C, 'C');
    is.nonNegativeInteger(lda, 'lda');
    is.nonNegativeInteger(ldb, 'ldb');
    is.nonNegativeInteger(ldc, 'ldc');
    checkLength('A', A, span('A', transA ? k : m, transA ? m : k, lda));
    checkLength('B', B, span('B', transB ? n : k, transB ? k : n, ldb));
    checkLength('C', C, span('C', m, n, ldc));
    native.sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  },
};
