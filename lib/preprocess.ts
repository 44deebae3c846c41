/**
 * Data preprocessing, the lecture's step 1: statistics fitted on the training data only, then the
 * same transform applied to training, validation, test and prediction inputs. A step is a spec
 * (`{ name, config }`, from the registry) until `fit` turns it into a fitted step carrying its
 * statistics as Float32Arrays; a model trained with preprocessing keeps its fitted steps, saves
 * them in the model file's `preprocess` section and applies them to raw input in predict/evaluate.
 */
import { NnError } from './errors';
import * as is from './is';
import { covariance, topEigen } from './eigen';
import { native } from './native';
import { Config, num, Registry } from './registry';

export interface PreprocessStep {
  readonly name: string;
  readonly config: Config;
  /** Fits the statistics on n x d training rows. */
  fit(x: Float32Array, d: number): FittedStep;
}

export interface FittedStep {
  readonly name: string;
  readonly config: Config;
  readonly inputSize: number;
  readonly outputSize: number;
  /** The fitted statistics (what a model file stores). */
  readonly state: Record<string, Float32Array>;
  /** A transformed copy of n x inputSize rows (n x outputSize). */
  apply(x: Float32Array): Float32Array;
}

/** Per-feature mean over the rows, accumulated in float64. */
function columnMeans(x: Float32Array, d: number): Float64Array {
  const n = x.length / d;
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) mean[j] += x[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

function checkFitInput(x: Float32Array, d: number, name: string): void {
  is.float32Array(x, 'x');
  is.positiveInteger(d, 'd');
  if (x.length === 0 || x.length % d !== 0) throw is.shapeError(`x.length (fitting ${name})`, `a positive multiple of ${d}`, x.length);
}

function fitted(name: string, config: Config, inputSize: number, outputSize: number, state: Record<string, Float32Array>,
  apply: (x: Float32Array) => Float32Array): FittedStep {
  return {
    name,
    config,
    inputSize,
    outputSize,
    state,
    apply(x: Float32Array): Float32Array {
      if (x.length % inputSize !== 0) throw is.shapeError(`x.length (${name} input)`, `a multiple of ${inputSize}`, x.length);
      return apply(x);
    },
  };
}

function centerFitted(mean: Float32Array): FittedStep {
  const d = mean.length;
  return fitted('center', {}, d, d, { mean }, (x) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i += d) for (let j = 0; j < d; j++) out[i + j] = x[i + j] - mean[j];
    return out;
  });
}

function standardizeFitted(mean: Float32Array, scale: Float32Array): FittedStep {
  const d = mean.length;
  return fitted('standardize', {}, d, d, { mean, scale }, (x) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i += d) for (let j = 0; j < d; j++) out[i + j] = (x[i + j] - mean[j]) * scale[j];
    return out;
  });
}

/**
 * Rotation onto k principal axes: out = (x − mean) · U (d x k, float32), then each column scaled
 * by `scale` (1 for PCA, 1/√(λ + ε) for whitening); for ZCA, rotated back: · Uᵀ (d outputs).
 */
function projectionFitted(name: string, config: Config, mean: Float32Array, basis: Float32Array, scale: Float32Array, zca: boolean): FittedStep {
  const d = mean.length;
  const k = scale.length;
  const state: Record<string, Float32Array> = { mean, basis, scale };
  return fitted(name, config, d, zca ? d : k, state, (x) => {
    const n = x.length / d;
    const xc = new Float32Array(x.length);
    for (let i = 0; i < x.length; i += d) for (let j = 0; j < d; j++) xc[i + j] = x[i + j] - mean[j];
    const rot = new Float32Array(n * k);
    if (n > 0) native.sgemm(false, false, n, k, d, 1, xc, d, basis, k, 0, rot, k, 0);
    for (let i = 0; i < rot.length; i += k) for (let j = 0; j < k; j++) rot[i + j] *= scale[j];
    if (!zca) return rot;
    const out = new Float32Array(n * d);
    if (n > 0) native.sgemm(false, true, n, d, k, 1, rot, k, basis, k, 0, out, d, 0);
    return out;
  });
}

/** Mean, the k leading eigenvectors (d x k float32) and eigenvalues of the training covariance. */
function principalAxes(x: Float32Array, d: number, k: number): { mean: Float32Array; basis: Float32Array; values: Float64Array } {
  const mean = Float32Array.from(columnMeans(x, d));
  const { values, vectors } = topEigen(covariance(x, d, mean), d, k);
  // a deterministic sign: the largest-magnitude entry of each axis is positive
  for (let j = 0; j < k; j++) {
    let big = 0;
    for (let r = 0; r < d; r++) if (Math.abs(vectors[r * k + j]) > Math.abs(big)) big = vectors[r * k + j];
    if (big < 0) for (let r = 0; r < d; r++) vectors[r * k + j] = -vectors[r * k + j];
  }
  return { mean, basis: Float32Array.from(vectors), values };
}

export interface WhitenOptions {
  /** Added to each eigenvalue before the square root (the lecture's 1e-5). Default 1e-5. */
  epsilon?: number;
  /** ZCA: rotate back to the input axes (d outputs) instead of keeping the PCA axes. Default false. */
  zca?: boolean;
  /** Principal axes kept; default all of them when d ≤ 256, else 256. */
  components?: number;
}

export const preprocess = {
  /** Subtracts the training mean of every feature (the lecture's mean image). */
  center(): PreprocessStep {
    return {
      name: 'center',
      config: {},
      fit(x, d) {
        checkFitInput(x, d, 'center');
        return centerFitted(Float32Array.from(columnMeans(x, d)));
      },
    };
  },

  /**
   * Subtracts the mean and divides by the standard deviation of every feature; a constant
   * feature (std below 1e-8 of the largest) is only centered.
   */
  standardize(): PreprocessStep {
    return {
      name: 'standardize',
      config: {},
      fit(x, d) {
        checkFitInput(x, d, 'standardize');
        const n = x.length / d;
        const mean = columnMeans(x, d);
        const variance = new Float64Array(d);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < d; j++) {
            const v = x[r * d + j] - mean[j];
            variance[j] += v * v;
          }
        }
        const std = variance.map((v) => Math.sqrt(v / n));
        const tiny = 1e-8 * Math.max(...std, 0);
        const scale = Float32Array.from(std, (s) => (s > tiny && s > 0 ? 1 / s : 1));
        return standardizeFitted(Float32Array.from(mean), scale);
      },
    };
  },

  /**
   * PCA (the lecture's `Xrot_reduced = X · U[:, :k]` on centered data): projects onto the k
   * leading eigenvectors of the training covariance, so the model's inputSize is k.
   */
  pca(k: number): PreprocessStep {
    is.positiveInteger(k, 'k');
    return {
      name: 'pca',
      config: { k },
      fit(x, d) {
        checkFitInput(x, d, 'pca');
        if (k > d) throw is.invalid('k', `integer <= the ${d} input features`, k);
        const { mean, basis } = principalAxes(x, d, k);
        return projectionFitted('pca', { k }, mean, basis, new Float32Array(k).fill(1), false);
      },
    };
  },

  /**
   * Whitening (the lecture's `Xwhite = Xrot / √(S + ε)`): PCA rotation, each axis divided by the
   * square root of its eigenvalue plus ε, so the training covariance becomes about the identity;
   * with `zca`, rotated back onto the input axes.
   */
  whiten(options: WhitenOptions = {}): PreprocessStep {
    if (typeof options !== 'object' || options === null) throw is.invalid('options', 'object', options);
    const epsilon = is.positiveNumber(options.epsilon ?? 1e-5, 'epsilon');
    const zca = is.boolean(options.zca ?? false, 'zca');
    const components = options.components === undefined ? null : is.positiveInteger(options.components, 'components');
    const config: Config = { epsilon, zca, components };
    return {
      name: 'whiten',
      config,
      fit(x, d) {
        checkFitInput(x, d, 'whiten');
        const k = components ?? Math.min(d, 256);
        if (k > d) throw is.invalid('components', `integer <= the ${d} input features`, k);
        const { mean, basis, values } = principalAxes(x, d, k);
        const scale = Float32Array.from(values, (v) => 1 / Math.sqrt(Math.max(v, 0) + epsilon));
        return projectionFitted('whiten', config, mean, basis, scale, zca);
      },
    };
  },
};

export const preprocessors = new Registry<PreprocessStep>('preprocessing step');
preprocessors.register('center', () => preprocess.center());
preprocessors.register('standardize', () => preprocess.standardize());
preprocessors.register('pca', (c) => preprocess.pca(num(c, 'k') as number));
preprocessors.register('whiten', (c) => preprocess.whiten({
  epsilon: num(c, 'epsilon'), zca: c.zca === undefined ? undefined : (c.zca as boolean), components: c.components == null ? undefined : (c.components as number),
}));

/** Rebuilds a fitted step from its saved name, config and state (a model file's preprocess section). */
export function restoreFitted(name: string, config: Config, state: Record<string, Float32Array>, source: string): FittedStep {
  const need = (key: string): Float32Array => {
    // (a Float32Array from a worker's message may belong to another realm, e.g. under jest)
    const v = state[key] as unknown;
    if (Object.prototype.toString.call(v) === '[object Float32Array]' && !(v instanceof Float32Array)) return new Float32Array(v as ArrayLike<number>);
    if (!(v instanceof Float32Array)) throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected tensor '${key}' of preprocessing step '${name}' for model file '${source}' but received none`);
    return v;
  };
  switch (name) {
    case 'center':
      return centerFitted(need('mean'));
    case 'standardize': {
      const mean = need('mean');
      const scale = need('scale');
      if (scale.length !== mean.length) throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected ${mean.length} values for tensor 'scale' of preprocessing step 'standardize' for model file '${source}' but received ${scale.length}`);
      return standardizeFitted(mean, scale);
    }
    case 'pca':
    case 'whiten': {
      const mean = need('mean');
      const basis = need('basis');
      const scale = need('scale');
      const d = mean.length;
      const k = scale.length;
      if (basis.length !== d * k) throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected ${d * k} values for tensor 'basis' of preprocessing step '${name}' for model file '${source}' but received ${basis.length}`);
      return projectionFitted(name, config, mean, basis, scale, name === 'whiten' && config.zca === true);
    }
    default:
      throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected a known preprocessing step for model file '${source}' but received '${name}'`);
  }
}

/** Fits steps in order (each on the previous one's output); returns the fitted steps and the transformed rows. */
export function fitPipeline(steps: PreprocessStep[], x: Float32Array, d: number): { fitted: FittedStep[]; x: Float32Array } {
  const out: FittedStep[] = [];
  let cur = x;
  let width = d;
  for (const s of steps) {
    const f = s.fit(cur, width);
    out.push(f);
    cur = f.apply(cur);
    width = f.outputSize;
  }
  return { fitted: out, x: cur };
}

/** Applies fitted steps in order (a copy; x itself is never modified). */
export function applyPipeline(steps: readonly FittedStep[], x: Float32Array): Float32Array {
  let cur = x;
  for (const s of steps) cur = s.apply(cur);
  return cur;
}
