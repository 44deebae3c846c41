import { NnError } from '../lib/errors';
import { linalg } from '../lib/linalg';

const f = (n: number) => new Float32Array(n);

describe('linalg', () => {
  it('isa is one of the three paths', () => {
    expect(['avx512', 'avx2', 'scalar']).toContain(linalg.isa);
  });

  it('sgemm computes C = alpha·op(A)·op(B) + beta·C (2x3 · 3x2)', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const b = Float32Array.from([7, 8, 9, 10, 11, 12]);
    const c = Float32Array.from([1, 1, 1, 1]);
    linalg.sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 2, c, 2);
    expect(Array.from(c)).toEqual([58 + 2, 64 + 2, 139 + 2, 154 + 2]);
    linalg.sgemm(true, true, 2, 2, 3, 1, Float32Array.from([1, 4, 2, 5, 3, 6]), 2, Float32Array.from([7, 9, 11, 8, 10, 12]), 3, 0, c, 2);
    expect(Array.from(c)).toEqual([58, 64, 139, 154]);
  });

  it.each([
    ['short A', () => linalg.sgemm(false, false, 2, 2, 2, 1, f(3), 2, f(4), 2, 0, f(4), 2), 'NNKIT_ERR_SHAPE', 'Expected at least 4 for A.length but received 3'],
    ['lda too small', () => linalg.sgemm(false, false, 2, 2, 3, 1, f(6), 2, f(6), 2, 0, f(4), 2), 'NNKIT_ERR_SHAPE', 'Expected integer >= 3 for lda but received 2'],
    ['fractional m', () => linalg.sgemm(false, false, 1.5, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2), 'NNKIT_ERR_ARG', 'Expected non-negative integer for m but received 1.5'],
    ['non-boolean transA', () => linalg.sgemm(0 as unknown as boolean, false, 1, 1, 1, 1, f(1), 1, f(1), 1, 0, f(1), 1), 'NNKIT_ERR_ARG', 'Expected boolean for transA but received 0'],
    ['Float64Array C', () => linalg.sgemm(false, false, 1, 1, 1, 1, f(1), 1, f(1), 1, 0, new Float64Array(1) as unknown as Float32Array, 1), 'NNKIT_ERR_ARG', 'Expected Float32Array for C but received a Float64Array'],
  ])('%s throws a coded NnError', (_, fn, code, message) => {
    expect(fn).toThrow(NnError);
    expect(fn).toThrow(expect.objectContaining({ code, message }));
  });
});
