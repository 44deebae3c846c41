/**
 * The binding guards memory safety on its own, for callers that bypass the TypeScript wrappers:
 * wrong types, short arrays and NaN dimensions give a coded error, never a crash.
 */
import { native } from '../../lib/native';

const f = (n: number) => new Float32Array(n);

describe('binding argument checks', () => {
  const cases: Array<[string, () => unknown, string, string, string]> = [
    ['sgemm: A too short', () => native.sgemm(false, false, 2, 2, 2, 1, f(3), 2, f(4), 2, 0, f(4), 2), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 4 elements for A but received 3'],
    ['sgemm: transposed B too short', () => native.sgemm(false, true, 2, 3, 2, 1, f(4), 2, f(5), 2, 0, f(6), 3), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 6 elements for B but received 5'],
    ['sgemm: ldc below n', () => native.sgemm(false, false, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 1), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected leading dimension >= 2 for C but received 1'],
    ['sgemm: NaN m', () => native.sgemm(false, false, NaN, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2), 'TypeError', 'NNKIT_ERR_ARG', 'Expected non-negative integer for m but received NaN'],
    ['sgemm: negative k', () => native.sgemm(false, false, 2, 2, -1, 1, f(4), 2, f(4), 2, 0, f(4), 2), 'TypeError', 'NNKIT_ERR_ARG', 'Expected non-negative integer for k but received -1'],
    ['sgemm: Float64Array', () => native.sgemm(false, false, 1, 1, 1, 1, new Float64Array(1) as unknown as Float32Array, 1, f(1), 1, 0, f(1), 1), 'TypeError', 'NNKIT_ERR_ARG', 'Expected Float32Array for A but received a typed array of another element type'],
    ['sgemm: C aliases A', () => { const a = f(4); native.sgemm(false, false, 2, 2, 2, 1, a, 2, f(4), 2, 0, a, 2); }, 'RangeError', 'NNKIT_ERR_ARG', 'Expected C not to share memory with A'],
    ['sgemm: missing args', () => (native.sgemm as unknown as () => void)(), 'TypeError', 'NNKIT_ERR_ARG', 'Expected boolean for transA but received undefined'],
    ['biasAdd: y short', () => native.biasAdd(f(5), f(3), 2, 3), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 6 elements for y but received 5'],
    ['biasGrad: db short', () => native.biasGrad(f(6), 2, 3, f(2)), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 3 elements for db but received 2'],
    ['activationForward: n past y', () => native.activationForward(1, f(4), f(3), 4), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 4 elements for y but received 3'],
    ['activationBackward: n past dx', () => native.activationBackward(3, f(4), f(4), f(3), 4), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 4 elements for dx but received 3'],
    ['softmax: label out of range', () => native.softmaxCrossEntropy(f(6), new Int32Array([0, 3]), 2, 3, null), 'RangeError', 'NNKIT_ERR_LABEL', 'Expected label in [0, 3) for labels[1] but received 3'],
    ['softmax: labels not Int32Array', () => native.softmaxCrossEntropy(f(6), new Uint8Array(2) as unknown as Int32Array, 2, 3, null), 'TypeError', 'NNKIT_ERR_ARG', 'Expected Int32Array for labels but received a typed array of another element type'],
    ['softmax: n = 0', () => native.softmaxCrossEntropy(f(6), new Int32Array(2), 0, 3, null), 'TypeError', 'NNKIT_ERR_ARG', 'Expected positive integer for n but received 0'],
    ['softmax: dscores short', () => native.softmaxCrossEntropy(f(6), new Int32Array(2), 2, 3, f(5)), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 6 elements for dscores but received 5'],
    ['gatherRows: index past the rows', () => native.gatherRows(f(6), 3, new Int32Array([1, 2]), f(6)), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected row index in [0, 2) for indices[1] but received 2'],
    ['gatherRows: negative index', () => native.gatherRows(f(6), 3, new Int32Array([-1]), f(3)), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected row index in [0, 2) for indices[0] but received -1'],
    ['gatherRows: dst short', () => native.gatherRows(f(6), 3, new Int32Array([0, 1]), f(5)), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 6 elements for dst but received 5'],
    ['gatherRows: rowLen 0', () => native.gatherRows(f(6), 0, new Int32Array([0]), f(3)), 'TypeError', 'NNKIT_ERR_ARG', 'Expected positive integer for rowLen but received 0'],
    ['penalty: NaN l2', () => native.penalty(f(3), 3, 0, NaN, null, false), 'TypeError', 'NNKIT_ERR_ARG', 'Expected finite number for l2 but received NaN'],
    ['penalty: grad aliases w', () => { const w = f(3); native.penalty(w, 3, 0, 1, w, false); }, 'RangeError', 'NNKIT_ERR_ARG', 'Expected grad not to share memory with w'],
    ['denseForward: y short', () => native.denseForward(f(6), f(6), null, f(3), 2, 3, 2, 0, 0), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 4 elements for y but received 3'],
    ['denseForward: unknown activation', () => native.denseForward(f(6), f(6), null, f(4), 2, 3, 2, 9, 0), 'RangeError', 'NNKIT_ERR_ARG', 'Expected activation code in [0, 5) but received 9'],
    ['denseBackward: dx short', () => native.denseBackward(f(6), f(6), f(4), f(4), f(4), f(6), null, f(5), 2, 3, 2, 1, 0, 0, 0), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 6 elements for dx but received 5'],
    ['denseBackwardUpdate: unknown kind', () => native.denseBackwardUpdate(f(6), f(6), f(4), f(4), f(4), f(6), null, null, 2, 3, 2, 1, 0, 0, 0, null, 4, 0.1, 0.9, f(6), null, null, new Float64Array(2)), 'RangeError', 'NNKIT_ERR_ARG', 'Expected update kind 1 (sgd), 2 (momentum) or 3 (nesterov) but received 4'],
    ['denseBackwardUpdate: momentum without wState', () => native.denseBackwardUpdate(f(6), f(6), f(4), f(4), f(4), f(6), null, null, 2, 3, 2, 1, 0, 0, 0, null, 2, 0.1, 0.9, null, null, null, new Float64Array(2)), 'TypeError', 'NNKIT_ERR_ARG', 'Expected Float32Array for wState (the velocity of momentum and nesterov) but received null'],
    ['denseBackwardUpdate: wState short', () => native.denseBackwardUpdate(f(6), f(6), f(4), f(4), f(4), f(6), null, null, 2, 3, 2, 1, 0, 0, 0, null, 3, 0.1, 0.9, f(5), null, null, new Float64Array(2)), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 6 elements for wState but received 5'],
    ['denseBackwardUpdate: b without db', () => native.denseBackwardUpdate(f(6), f(6), f(4), f(4), f(4), f(6), null, null, 2, 3, 2, 1, 0, 0, 0, null, 1, 0.1, 0, null, f(2), null, new Float64Array(2)), 'TypeError', 'NNKIT_ERR_ARG', 'Expected Float32Array for db (b is updated from it) but received null'],
    ['denseBackwardUpdate: wState aliases w', () => { const w = f(6); native.denseBackwardUpdate(f(6), w, f(4), f(4), f(4), f(6), null, null, 2, 3, 2, 1, 0, 0, 0, null, 2, 0.1, 0.9, w, null, null, new Float64Array(2)); }, 'RangeError', 'NNKIT_ERR_ARG', 'Expected wState not to share memory with w'],
    ['denseBackwardUpdate: w aliases dw', () => { const w = f(6); native.denseBackwardUpdate(f(6), w, f(4), f(4), f(4), w, null, null, 2, 3, 2, 1, 0, 0, 0, null, 1, 0.1, 0, null, null, null, new Float64Array(2)); }, 'RangeError', 'NNKIT_ERR_ARG', 'Expected dw not to share memory with w'],
    ['denseBackwardUpdate: b aliases dx', () => { const dx = f(6); native.denseBackwardUpdate(f(6), f(6), f(4), f(4), f(4), f(6), f(2), dx, 2, 3, 2, 1, 0, 0, 0, null, 1, 0.1, 0, null, dx.subarray(0, 2), null, new Float64Array(2)); }, 'RangeError', 'NNKIT_ERR_ARG', 'Expected b not to share memory with dx'],
    ['denseBackwardUpdate: bState aliases w', () => { const w = f(6); native.denseBackwardUpdate(f(6), w, f(4), f(4), f(4), f(6), f(2), null, 2, 3, 2, 1, 0, 0, 0, null, 2, 0.1, 0.9, f(6), f(2), w.subarray(4, 6), new Float64Array(2)); }, 'RangeError', 'NNKIT_ERR_ARG', 'Expected bState not to share memory with w'],
    ['denseBackwardUpdate: wState aliases dx', () => { const dx = f(6); native.denseBackwardUpdate(f(6), f(6), f(4), f(4), f(4), f(6), null, dx, 2, 3, 2, 1, 0, 0, 0, null, 3, 0.1, 0.9, dx, null, null, new Float64Array(2)); }, 'RangeError', 'NNKIT_ERR_ARG', 'Expected wState not to share memory with dx'],
    ['denseBackwardUpdate: NaN lr', () => native.denseBackwardUpdate(f(6), f(6), f(4), f(4), f(4), f(6), null, null, 2, 3, 2, 1, 0, 0, 0, null, 1, NaN, 0, null, null, null, new Float64Array(2)), 'TypeError', 'NNKIT_ERR_ARG', 'Expected finite number for lr but received NaN'],
    ['denseBackwardUpdate: penalties not Float64Array', () => native.denseBackwardUpdate(f(6), f(6), f(4), f(4), f(4), f(6), null, null, 2, 3, 2, 1, 0, 0, 0, null, 1, 0.1, 0, null, null, null, f(2) as unknown as Float64Array), 'TypeError', 'NNKIT_ERR_ARG', 'Expected Float64Array of 2 for penalties but received another value'],
    ['dropoutForward: keep 0', () => native.dropoutForward(f(3), f(3), f(3), 3, 0, 1), 'RangeError', 'NNKIT_ERR_ARG', 'Expected number in (0, 1] for keep but received 0'],
    ['adamUpdate: step 0', () => native.adamUpdate(f(3), f(3), f(3), f(3), 3, 0.1, 0.9, 0.999, 1e-8, 0), 'TypeError', 'NNKIT_ERR_ARG', 'Expected positive integer for step but received 0'],
    ['svmLoss: label out of range', () => native.svmLoss(f(6), new Int32Array([0, 3]), 2, 3, null), 'RangeError', 'NNKIT_ERR_LABEL', 'Expected label in [0, 3) for labels[1] but received 3'],
    ['sgdUpdate: g short', () => native.sgdUpdate(f(4), f(3), 4, 0.1), 'RangeError', 'NNKIT_ERR_SHAPE', 'Expected at least 4 elements for g but received 3'],
    ['sgemmTilePeak: NaN seconds', () => native.sgemmTilePeak(NaN), 'TypeError', 'NNKIT_ERR_ARG', 'Expected finite number for seconds but received NaN'],
    ['momentumUpdate: infinite lr', () => native.momentumUpdate(f(4), f(4), f(4), 4, Infinity, 0.9), 'TypeError', 'NNKIT_ERR_ARG', 'Expected finite number for lr but received Infinity'],
    ['momentumUpdate: v aliases w', () => { const w = f(4); native.momentumUpdate(w, f(4), w, 4, 0.1, 0.9); }, 'RangeError', 'NNKIT_ERR_ARG', 'Expected v not to share memory with w'],
  ];
  it.each(cases)('%s', (_, fn, name, code, message) => {
    let caught: unknown = null;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ name, code, message });
  });

  it('subarray views are bounded by their own length, not the buffer\'s', () => {
    const buffer = f(100);
    expect(() => native.activationForward(1, buffer.subarray(10, 20), buffer.subarray(10, 20), 11)).toThrow(expect.objectContaining({ code: 'NNKIT_ERR_SHAPE' }));
  });
});

describe('gatherRows', () => {
  it('copies the indexed rows, on one thread or several', () => {
    for (const [rows, len, count] of [[5, 3, 4], [300, 3072, 256], [7, 1, 7]]) {
      const src = Float32Array.from({ length: rows * len }, (_, i) => i * 0.5);
      const idx = Int32Array.from({ length: count }, (_, r) => (r * 7 + 3) % rows);
      for (const threads of [1, 2]) {
        const dst = new Float32Array(count * len).fill(NaN);
        native.gatherRows(src, len, idx, dst, threads);
        for (let r = 0; r < count; r++) expect(dst.subarray(r * len, (r + 1) * len)).toEqual(src.subarray(idx[r] * len, (idx[r] + 1) * len));
      }
    }
  });
});

describe('subnormal floats', () => {
  // 1e-39 is below float32's smallest normal (1.18e-38): on x86 every FMA that meets it would take
  // a microcode assist, so kernels read it as zero (and flush subnormal results to zero).
  const SUB = 1e-39;

  it('kernels read subnormal inputs as zero, on the calling thread and on pool threads', () => {
    for (const threads of [1, 2]) {
      const m = 64, k = 300, n = 96; // big enough to be split when threads = 2
      const a = new Float32Array(m * k).fill(SUB);
      const b = new Float32Array(k * n).fill(1);
      const c = new Float32Array(m * n).fill(NaN);
      native.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n, threads);
      expect(c.every((v) => v === 0)).toBe(true);
      a.fill(1e-30); // a normal input still counts
      native.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n, threads);
      expect(Math.abs(c[0] / 300e-30 - 1)).toBeLessThan(1e-5);
    }
    const y = new Float32Array(4);
    native.vecMul(new Float32Array([1e-20, 1e-20, 2, SUB]), new Float32Array([1e-20, 1, 3, 1]), y, 4);
    expect(Array.from(y)).toEqual([0, Math.fround(1e-20), 6, 0]); // 1e-40 flushed; 1e-39 read as 0
  });

  it('the calling thread keeps its own floating-point mode: JavaScript still computes subnormals', () => {
    native.sgemm(false, false, 2, 2, 2, 1, new Float32Array(4).fill(SUB), 2, new Float32Array(4), 2, 0, new Float32Array(4), 2);
    const tiny = Number('5e-324'); // the smallest double, subnormal
    expect(tiny * 2).toBe(1e-323);
    expect(new Float32Array([SUB])[0]).toBeCloseTo(SUB, 45); // a float32 store in JS is not flushed
  });
});
