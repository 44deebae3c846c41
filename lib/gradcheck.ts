/**
 * Gradient checking, the lecture's way. A float64 reference of the model's forward and backward
 * pass, written in plain TypeScript, is checked two ways:
 *   1) its analytic gradient against centered finite differences (float64, so h can be small);
 *   2) the native float32 gradient (Sequential.computeGradients) against that analytic gradient.
 * Coordinates whose ±h evaluations put a ReLU on different sides of its kink are skipped: the
 * finite difference is meaningless there.
 */
import * as is from './is';
import { Sequential } from './models/sequential';
import { Rng } from './rng';

export interface GradCheckOptions {
  /**
   * Finite-difference step. Default 1e-4: in float64 the quotient's roundoff is about
   * 1e-16 · loss / h, so h = 1e-4 keeps it under 1e-4 relative for gradients down to ~1e-8
   * (the lecture's net at init has bias gradients near 1e-7).
   */
  h?: number;
  /** L2 strength applied to layers without their own regularizer (as train's `reg`). Default 0. */
  reg?: number;
  /** Coordinates checked per parameter tensor (all when the tensor is smaller). Default 200. */
  samples?: number;
  /** Seed for choosing which coordinates to check. Default 1. */
  seed?: number;
}

export interface GradCheckResult {
  /** Analytic float64 gradient vs centered finite differences. */
  maxRelError: number;
  /** Per parameter tensor ('dense0.W', 'dense0.b', ...). */
  perParam: Record<string, number>;
  /** Native float32 gradient vs the float64 analytic gradient (absolute floor 1e-6). */
  nativeMaxRelError: number;
  /** The same, per parameter tensor. */
  nativePerParam: Record<string, number>;
  /** Coordinates compared by finite differences, and skipped at a kink. */
  checked: number;
  skipped: number;
}

interface Ref64 {
  w: Float64Array[];
  b: (Float64Array | null)[];
}

/** Relative error |a − b| / max(|a|, |b|, floor). */
export function relError(a: number, b: number, floor: number): number {
  const denom = Math.max(Math.abs(a), Math.abs(b), floor);
  return Math.abs(a - b) / denom;
}

/**
 * @example const { maxRelError, nativeMaxRelError } = gradCheck(model, x, y);
 */
export function gradCheck(model: Sequential, x: Float32Array, y: ArrayLike<number>, options: GradCheckOptions = {}): GradCheckResult {
  if (!(model instanceof Sequential)) throw is.invalid('model', 'Sequential', model);
  is.float32Array(x, 'x');
  if (x.length === 0 || x.length % model.inputSize !== 0) throw is.shapeError('x.length', `a positive multiple of inputSize ${model.inputSize}`, x.length);
  const n = x.length / model.inputSize;
  const labels = is.labels(y, 'y', n, model.outputSize);
  const h = is.positiveNumber(options.h ?? 1e-4, 'h');
  const lambda = is.nonNegativeNumber(options.reg ?? 0, 'reg');
  const samples = is.positiveInteger(options.samples ?? 200, 'samples');
  const rng = new Rng(is.nonNegativeInteger(options.seed ?? 1, 'seed'));

  const params: Ref64 = {
    w: model.layers.map((l) => Float64Array.from(l.w)),
    b: model.layers.map((l) => (l.b === null ? null : Float64Array.from(l.b))),
  };
  const x64 = Float64Array.from(x);
  const analytic = lossAndGrad(model, params, x64, labels, n, lambda, true);

  const perParam: Record<string, number> = {};
  let maxRelError = 0;
  let checked = 0;
  let skipped = 0;
  const tensors: Array<[string, Float64Array, Float64Array]> = [];
  model.layers.forEach((_, l) => {
    tensors.push([`dense${l}.W`, params.w[l], analytic.dw[l]]);
    const b = params.b[l];
    const db = analytic.db[l];
    if (b !== null && db !== null) tensors.push([`dense${l}.b`, b, db]);
  });
  for (const [name, p, g] of tensors) {
    let worst = 0;
    const coords = p.length <= samples ? Array.from({ length: p.length }, (_, i) => i) : Array.from({ length: samples }, () => rng.int(p.length));
    for (const i of coords) {
      const old = p[i];
      p[i] = old + h;
      const plus = lossAndGrad(model, params, x64, labels, n, lambda, false);
      p[i] = old - h;
      const minus = lossAndGrad(model, params, x64, labels, n, lambda, false);
      p[i] = old;
      if (plus.kinks !== minus.kinks) {
        skipped++;
        continue;
      }
      const numeric = (plus.loss - minus.loss) / (2 * h);
      worst = Math.max(worst, relError(numeric, g[i], 1e-12));
      checked++;
    }
    perParam[name] = worst;
    maxRelError = Math.max(maxRelError, worst);
  }

  // Native float32 gradient against the float64 analytic one, over every coordinate.
  model.computeGradients(x, labels, n, lambda);
  const nativePerParam: Record<string, number> = {};
  const compare = (name: string, got: Float32Array, want: Float64Array) => {
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, relError(got[i], want[i], 1e-6));
    nativePerParam[name] = worst;
  };
  model.layers.forEach((layer, l) => {
    compare(`dense${l}.W`, layer.dw, analytic.dw[l]);
    const db = analytic.db[l];
    if (layer.db !== null && db !== null) compare(`dense${l}.b`, layer.db, db);
  });
  const nativeMaxRelError = Math.max(...Object.values(nativePerParam));
  return { maxRelError, perParam, nativeMaxRelError, nativePerParam, checked, skipped };
}

/**
 * The float64 reference: mean softmax cross-entropy plus ½·λ·ΣW² (per layer, its own L2 strength
 * or `lambda`), and — when `withGrad` — its gradient. `kinks` is a signature of which ReLU units
 * are active, so two evaluations can tell whether a perturbation crossed a kink.
 */
function lossAndGrad(model: Sequential, p: Ref64, x: Float64Array, y: Int32Array, n: number, lambda: number, withGrad: boolean) {
  const L = model.layers.length;
  const acts: Float64Array[] = [];
  let kinks = '';
  let input = x;
  for (let l = 0; l < L; l++) {
    const { fanIn, units, spec } = model.layers[l];
    const out = new Float64Array(n * units);
    const w = p.w[l];
    const b = p.b[l];
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < units; j++) {
        let s = b === null ? 0 : b[j];
        for (let k = 0; k < fanIn; k++) s += input[r * fanIn + k] * w[k * units + j];
        out[r * units + j] = s;
      }
    }
    if (spec.activation === 'relu') {
      let sig = 0;
      for (let i = 0; i < out.length; i++) {
        if (out[i] > 0) sig = (sig * 31 + i + 1) % 2147483647;
        else out[i] = 0;
      }
      kinks += `${sig},`;
    }
    acts.push(out);
    input = out;
  }
  const c = model.outputSize;
  const scores = acts[L - 1];
  let loss = 0;
  const dscores = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, scores[r * c + j]);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(scores[r * c + j] - mx);
    loss += Math.log(sum) - (scores[r * c + y[r]] - mx);
    for (let j = 0; j < c; j++) dscores[r * c + j] = Math.exp(scores[r * c + j] - mx) / sum / n;
    dscores[r * c + y[r]] -= 1 / n;
  }
  loss /= n;
  const strengths = model.layers.map((layer) => {
    const r = layer.spec.regularizer;
    if (r === null) return lambda;
    if (r.name !== 'l2') throw is.invalid('regularizer', "'l2' (the float64 reference supports L2)", r.name);
    return r.config.lambda;
  });
  for (let l = 0; l < L; l++) {
    let ss = 0;
    for (const v of p.w[l]) ss += v * v;
    loss += 0.5 * strengths[l] * ss;
  }
  const dw: Float64Array[] = [];
  const db: (Float64Array | null)[] = [];
  if (withGrad) {
    let dout = dscores;
    for (let l = L - 1; l >= 0; l--) {
      const { fanIn, units, spec } = model.layers[l];
      const a = acts[l];
      if (spec.activation === 'relu') for (let i = 0; i < dout.length; i++) if (a[i] <= 0) dout[i] = 0; // backprop through ReLU
      const inp = l === 0 ? x : acts[l - 1];
      const gw = new Float64Array(fanIn * units);
      for (let k = 0; k < fanIn; k++) {
        for (let j = 0; j < units; j++) {
          let s = strengths[l] * p.w[l][k * units + j]; // d(½λΣW²)/dW = λW
          for (let r = 0; r < n; r++) s += inp[r * fanIn + k] * dout[r * units + j]; // Xᵀ · dZ
          gw[k * units + j] = s;
        }
      }
      dw[l] = gw;
      if (p.b[l] !== null) {
        const gb = new Float64Array(units);
        for (let r = 0; r < n; r++) for (let j = 0; j < units; j++) gb[j] += dout[r * units + j]; // Σ_rows dZ
        db[l] = gb;
      } else {
        db[l] = null;
      }
      if (l > 0) {
        const dx = new Float64Array(n * fanIn);
        for (let r = 0; r < n; r++) {
          for (let k = 0; k < fanIn; k++) {
            let s = 0;
            for (let j = 0; j < units; j++) s += dout[r * units + j] * p.w[l][k * units + j]; // dZ · Wᵀ
            dx[r * fanIn + k] = s;
          }
        }
        dout = dx;
      }
    }
  }
  return { loss, dw, db, kinks };
}
