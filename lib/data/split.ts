/** Train/validation split of a labelled data set. */
import * as is from '../is';
import { Rng } from '../rng';

export interface SplitOptions {
  /** Fraction of samples held out for validation, in (0, 1). Default 0.2. */
  valFraction?: number;
  /** Shuffle seed; without one the split keeps the file order (the last samples are validation). */
  seed?: number;
}

export interface SplitData {
  xTrain: Float32Array;
  yTrain: Int32Array;
  xVal: Float32Array;
  yVal: Int32Array;
}

/**
 * @example const { xTrain, yTrain, xVal, yVal } = split(await loadCsv(file), { valFraction: 0.2, seed: 1 });
 */
export function split(data: { x: Float32Array; y: ArrayLike<number> }, options: SplitOptions = {}): SplitData {
  if (typeof data !== 'object' || data === null) throw is.invalid('data', 'object with x and y', data);
  const x = is.float32Array(data.x, 'x');
  const n = data.y?.length;
  if (typeof n !== 'number' || n < 2) throw is.invalid('y', 'at least 2 labels', data.y);
  if (x.length % n !== 0) throw is.shapeError('x.length', `a multiple of y.length ${n}`, x.length);
  const y = is.labels(data.y, 'y', n, 2 ** 31 - 1);
  const valFraction = options.valFraction ?? 0.2;
  if (!(typeof valFraction === 'number' && valFraction > 0 && valFraction < 1)) {
    throw is.invalid('valFraction', 'number in (0, 1)', valFraction);
  }
  const d = x.length / n;
  const nVal = Math.min(n - 1, Math.max(1, Math.round(n * valFraction)));
  const nTrain = n - nVal;
  let order: Int32Array;
  if (options.seed === undefined) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  } else {
    order = new Rng(is.nonNegativeInteger(options.seed, 'seed')).permutation(n);
  }
  const take = (from: number, count: number): [Float32Array, Int32Array] => {
    const xs = new Float32Array(count * d);
    const ys = new Int32Array(count);
    for (let r = 0; r < count; r++) {
      const i = order[from + r];
      xs.set(x.subarray(i * d, (i + 1) * d), r * d);
      ys[r] = y[i];
    }
    return [xs, ys];
  };
  const [xTrain, yTrain] = take(0, nTrain);
  const [xVal, yVal] = take(nTrain, nVal);
  return { xTrain, yTrain, xVal, yVal };
}
