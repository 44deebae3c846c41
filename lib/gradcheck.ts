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
  /**
   * Coordinates left out of the native comparison because their float64 gradient is a sum whose
   * terms cancel by more than four orders of magnitude (|g| < 1e-4 · Σ|terms|): float32 keeps
   * fewer than three significant digits of such a value, whatever the kernel does.
   */
  nativeSkipped: number;
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
  const targets = model.targets(y, n);
  const h = is.positiveNumber(options.h ?? 1e-4, 'h');
  const lambda = is.nonNegativeNumber(options.reg ?? 0, 'reg');
  const samples = is.positiveInteger(options.samples ?? 200, 'samples');
  const seed = is.nonNegativeInteger(options.seed ?? 1, 'seed');
  const rng = new Rng(seed);

  const params: Ref64 = {
    w: model.layers.map((l) => (l.kind === 'dense' ? Float64Array.from(l.w) : new Float64Array(0))),
    b: model.layers.map((l) => (l.kind === 'dense' && l.b !== null ? Float64Array.from(l.b) : null)),
  };
  // The native pass runs first: dropout layers then hold the masks the float64 reference reuses.
  model.computeGradients(x, targets, n, { defaultL2: lambda, dropoutSeed: seed });
  const masks = model.layers.map((l, i) => (l.kind === 'dropout' ? (model.dropoutMask(i, n) as Float32Array).slice() : null));
  const x64 = Float64Array.from(x);
  const analytic = lossAndGrad(model, params, masks, x64, targets, n, lambda, true, null);
  // For the native comparison: the float64 gradient on the same side of every kink as the float32
  // pass (a pre-activation or hinge margin within float32 rounding of 0 can land on either side).
  const native32 = model.trainingOutputs(n).map((a) => a.slice());
  const analyticNative = lossAndGrad(model, params, masks, x64, targets, n, lambda, true, native32);

  const perParam: Record<string, number> = {};
  let maxRelError = 0;
  let checked = 0;
  let skipped = 0;
  const tensors: Array<[string, Float64Array, Float64Array]> = [];
  model.layers.forEach((layer, l) => {
    if (layer.kind !== 'dense') return;
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
      const at = (delta: number) => {
        p[i] = old + delta;
        const r = lossAndGrad(model, params, masks, x64, targets, n, lambda, false, null);
        p[i] = old;
        return r;
      };
      const [plus, minus, plus2, minus2] = [at(h), at(-h), at(2 * h), at(-2 * h)];
      // a kink between the evaluations (ReLU, hinge, or |w| of L1 crossing 0): skip
      const kinked = new Set([plus.kinks, minus.kinks, plus2.kinks, minus2.kinks]).size > 1;
      if (kinked || (name.endsWith('.W') && hasL1(model, name) && Math.abs(old) <= 2 * h)) {
        skipped++;
        continue;
      }
      // five-point centered difference: truncation error O(h^4)
      const numeric = (8 * (plus.loss - minus.loss) - (plus2.loss - minus2.loss)) / (12 * h);
      // The quotient carries the losses' float64 rounding, about 18·ε·|loss| / (12·h): a difference
      // within a few times that is noise (it matters only for gradients that are exactly 0, such as
      // an SVM output bias whose row terms cancel). The floor 1e-7 covers other near-zero gradients.
      const noise = 32 * Number.EPSILON * Math.max(1, Math.abs(plus.loss)) / h;
      const diff = Math.max(0, Math.abs(numeric - g[i]) - noise);
      worst = Math.max(worst, diff / Math.max(Math.abs(numeric), Math.abs(g[i]), 1e-7));
      checked++;
    }
    perParam[name] = worst;
    maxRelError = Math.max(maxRelError, worst);
  }

  // Native float32 gradient against the float64 analytic one, over every coordinate.
  model.computeGradients(x, targets, n, { defaultL2: lambda, dropoutSeed: seed });
  const nativePerParam: Record<string, number> = {};
  let nativeSkipped = 0;
  const compare = (name: string, got: Float32Array, want: Float64Array, scale: Float64Array) => {
    let worst = 0;
    for (let i = 0; i < got.length; i++) {
      if (Math.abs(want[i]) < 1e-4 * scale[i] && scale[i] > 1e-6) {
        nativeSkipped++;
        continue;
      }
      worst = Math.max(worst, relError(got[i], want[i], 1e-6));
    }
    nativePerParam[name] = worst;
  };
  model.layers.forEach((layer, l) => {
    if (layer.kind !== 'dense') return;
    compare(`dense${l}.W`, layer.dw, analyticNative.dw[l], analyticNative.dwScale[l]);
    const db = analyticNative.db[l];
    if (layer.db !== null && db !== null) compare(`dense${l}.b`, layer.db, db, analyticNative.dbScale[l] as Float64Array);
  });
  const nativeMaxRelError = Math.max(...Object.values(nativePerParam));
  return { maxRelError, perParam, nativeMaxRelError, nativePerParam, checked, skipped, nativeSkipped };
}

function hasL1(model: Sequential, name: string): boolean {
  const layer = model.layers[Number(/^dense(\d+)/.exec(name)?.[1])];
  return layer.kind === 'dense' && layer.spec.regularizer !== null && layer.spec.regularizer.l1 > 0;
}

const ACT64: Record<string, [(z: number) => number, (y: number) => number]> = {
  linear: [(z) => z, () => 1],
  relu: [(z) => (z > 0 ? z : 0), (y) => (y > 0 ? 1 : 0)],
  leakyRelu: [(z) => (z > 0 ? z : 0.01 * z), (y) => (y > 0 ? 1 : 0.01)],
  tanh: [Math.tanh, (y) => 1 - y * y],
  sigmoid: [(z) => 1 / (1 + Math.exp(-z)), (y) => y * (1 - y)],
};

/**
 * The float64 reference: mean data loss (softmax, svm or mse) plus every dense layer's penalty
 * l1·Σ|W| + ½·l2·ΣW² (its own regularizer, or L2 `lambda`), and — when `withGrad` — its gradient.
 * Dropout layers multiply by the given fixed masks. `kinks` is a signature of the ReLU units and
 * hinge margins that are active, so two evaluations can tell whether a perturbation crossed one.
 * With `sides` (every layer's float32 output from the native pass), the ReLU units and hinge
 * margins that are active in the gradient are the ones active in that pass.
 */
function lossAndGrad(model: Sequential, p: Ref64, masks: (Float32Array | null)[], x: Float64Array, y: Int32Array | Float32Array,
  n: number, lambda: number, withGrad: boolean, sides: Float32Array[] | null) {
  const L = model.layers.length;
  const acts: Float64Array[] = [];
  let kinks = '';
  let sig = 0;
  const mark = (on: boolean, i: number) => {
    if (on) sig = (sig * 31 + i + 1) % 2147483647;
  };
  let input = x;
  for (let l = 0; l < L; l++) {
    const layer = model.layers[l];
    if (layer.kind === 'dropout') {
      const mask = masks[l] as Float32Array;
      acts.push(input.map((v, i) => v * mask[i]));
      input = acts[l];
      continue;
    }
    const { fanIn, units, spec } = layer;
    const out = new Float64Array(n * units);
    const w = p.w[l];
    const b = p.b[l];
    const [f] = ACT64[spec.activation];
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < units; j++) {
        let s = b === null ? 0 : b[j];
        for (let k = 0; k < fanIn; k++) s += input[r * fanIn + k] * w[k * units + j];
        if (spec.activation === 'relu' || spec.activation === 'leakyRelu') mark(s > 0, r * units + j);
        out[r * units + j] = f(s);
      }
    }
    kinks += `${sig},`;
    sig = 0;
    acts.push(out);
    input = out;
  }
  const c = model.outputSize;
  const scores = acts[L - 1];
  let loss = 0;
  const dscores = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    const row = scores.subarray(r * c, (r + 1) * c);
    if (model.lossName === 'mse') {
      for (let j = 0; j < c; j++) {
        const d = row[j] - y[r * c + j];
        loss += 0.5 * d * d;
        dscores[r * c + j] = d / n;
      }
    } else if (model.lossName === 'svm') {
      const yr = y[r];
      for (let j = 0; j < c; j++) {
        if (j === yr) continue;
        const margin = row[j] - row[yr] + 1;
        mark(margin > 0, r * c + j);
        let active = margin > 0;
        if (sides !== null) {
          const s32 = sides[L - 1];
          active = Math.fround(Math.fround(s32[r * c + j] - s32[r * c + yr]) + 1) > 0; // as the kernel computes it
        }
        if (margin > 0) loss += margin;
        if (active) {
          dscores[r * c + j] += 1 / n;
          dscores[r * c + yr] -= 1 / n;
        }
      }
    } else {
      let mx = -Infinity;
      for (let j = 0; j < c; j++) mx = Math.max(mx, row[j]);
      let sum = 0;
      for (let j = 0; j < c; j++) sum += Math.exp(row[j] - mx);
      loss += Math.log(sum) - (row[y[r]] - mx);
      for (let j = 0; j < c; j++) dscores[r * c + j] = Math.exp(row[j] - mx) / sum / n;
      dscores[r * c + y[r]] -= 1 / n;
    }
  }
  kinks += `${sig}`;
  loss /= n;
  const coef = model.layers.map((layer) => {
    if (layer.kind !== 'dense') return [0, 0];
    const r = layer.spec.regularizer;
    return r === null ? [0, lambda] : [r.l1, r.l2];
  });
  for (let l = 0; l < L; l++) {
    for (const v of p.w[l]) loss += coef[l][0] * Math.abs(v) + 0.5 * coef[l][1] * v * v;
  }
  const dw: Float64Array[] = [];
  const db: (Float64Array | null)[] = [];
  const dwScale: Float64Array[] = []; // Σ|terms| of each gradient coordinate: its conditioning
  const dbScale: (Float64Array | null)[] = [];
  if (withGrad) {
    let dout = dscores;
    for (let l = L - 1; l >= 0; l--) {
      const layer = model.layers[l];
      if (layer.kind === 'dropout') {
        const mask = masks[l] as Float32Array;
        dout = dout.map((v, i) => v * mask[i]); // backprop through the fixed mask
        dw[l] = new Float64Array(0);
        db[l] = null;
        dwScale[l] = new Float64Array(0);
        dbScale[l] = null;
        continue;
      }
      const { fanIn, units, spec } = layer;
      const a = acts[l];
      const [, dAct] = ACT64[spec.activation];
      const side = sides !== null && (spec.activation === 'relu' || spec.activation === 'leakyRelu') ? sides[l] : null;
      for (let i = 0; i < dout.length; i++) dout[i] *= dAct(side !== null ? side[i] : a[i]); // backprop through the activation
      const inp = l === 0 ? x : acts[l - 1];
      const gw = new Float64Array(fanIn * units);
      const sw = new Float64Array(fanIn * units);
      for (let k = 0; k < fanIn; k++) {
        for (let j = 0; j < units; j++) {
          const wv = p.w[l][k * units + j];
          let s = coef[l][0] * Math.sign(wv) + coef[l][1] * wv; // penalty gradient
          let abs = Math.abs(coef[l][0] * Math.sign(wv)) + Math.abs(coef[l][1] * wv);
          for (let r = 0; r < n; r++) {
            const t = inp[r * fanIn + k] * dout[r * units + j]; // Xᵀ · dZ
            s += t;
            abs += Math.abs(t);
          }
          gw[k * units + j] = s;
          sw[k * units + j] = abs;
        }
      }
      dw[l] = gw;
      dwScale[l] = sw;
      if (p.b[l] !== null) {
        const gb = new Float64Array(units);
        const sb = new Float64Array(units);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < units; j++) {
            gb[j] += dout[r * units + j]; // Σ_rows dZ
            sb[j] += Math.abs(dout[r * units + j]);
          }
        }
        db[l] = gb;
        dbScale[l] = sb;
      } else {
        db[l] = null;
        dbScale[l] = null;
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
  return { loss, dw, db, dwScale, dbScale, kinks };
}
