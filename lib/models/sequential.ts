/**
 * A stack of layers trained with a loss. All parameters live in one flat Float32Array (and the
 * gradients in another of the same layout), so an optimizer updates a whole model in a single
 * native call. Forward and backward run in the native kernels; this file only sequences them.
 */
import { DenseLayer, DenseSpec } from '../layers/dense';
import * as is from '../is';
import { ACTIVATION_CODES, native } from '../native';
import { Regularizer } from '../regularizers';
import { Rng } from '../rng';

export const LOSSES = ['softmax'] as const;
export type LossName = (typeof LOSSES)[number];

export interface SequentialConfig {
  inputSize: number;
  layers: DenseSpec[];
  /** Default 'softmax' (mean cross-entropy). */
  loss?: LossName;
  /** Drives initialization. Default 1. */
  seed?: number;
}

/** Per-batch-size activation and gradient buffers, reused across calls. */
interface Workspace {
  acts: Float32Array[]; // per layer: (n, units), post-activation
  grads: Float32Array[]; // per layer: (n, units), dLoss/d(layer output), then d(pre-activation)
}

/** Rows evaluated per chunk by predict/evaluate, to bound memory on large inputs. */
const CHUNK = 1024;

export class Sequential {
  readonly inputSize: number;
  /** The loss the model is trained with (config `loss`). */
  readonly lossName: LossName;
  readonly seed: number;
  readonly layers: readonly DenseLayer[];
  /** Every weight and bias, layer after layer (W then b). */
  readonly params: Float32Array;
  /** The gradient of the last `computeGradients` call, same layout as `params`. */
  readonly grads: Float32Array;
  private readonly workspaces = new Map<number, Workspace>();

  /**
   * @example new Sequential({ inputSize: 3072, layers: [dense(50, { activation: 'relu' }), dense(10)], loss: 'softmax' })
   * @throws {NnError} NNKIT_ERR_ARG for a bad configuration.
   */
  constructor(config: SequentialConfig) {
    if (typeof config !== 'object' || config === null) throw is.invalid('config', 'object', config);
    this.inputSize = is.positiveInteger(config.inputSize, 'inputSize');
    this.lossName = is.oneOf(config.loss ?? 'softmax', 'loss', LOSSES);
    this.seed = is.nonNegativeInteger(config.seed ?? 1, 'seed');
    if (!Array.isArray(config.layers) || config.layers.length === 0) throw is.invalid('layers', 'non-empty array of layers', config.layers);
    config.layers.forEach((spec, i) => {
      if (typeof spec !== 'object' || spec === null || spec.type !== 'dense') throw is.invalid(`layers[${i}]`, 'layer', spec);
    });

    let total = 0;
    let fanIn = this.inputSize;
    for (const spec of config.layers) {
      total += fanIn * spec.units + (spec.bias ? spec.units : 0);
      fanIn = spec.units;
    }
    this.params = new Float32Array(total);
    this.grads = new Float32Array(total);

    const rng = new Rng(this.seed);
    const layers: DenseLayer[] = [];
    let offset = 0;
    fanIn = this.inputSize;
    for (const spec of config.layers) {
      const nw = fanIn * spec.units;
      const w = this.params.subarray(offset, offset + nw);
      const dw = this.grads.subarray(offset, offset + nw);
      offset += nw;
      let b: Float32Array | null = null;
      let db: Float32Array | null = null;
      if (spec.bias) {
        b = this.params.subarray(offset, offset + spec.units);
        db = this.grads.subarray(offset, offset + spec.units);
        offset += spec.units;
      }
      spec.init.fill(w, fanIn, spec.units, rng);
      layers.push({ spec, fanIn, units: spec.units, w, b, dw, db });
      fanIn = spec.units;
    }
    this.layers = layers;
  }

  /** Width of the last layer (number of classes for a classifier). */
  get outputSize(): number {
    return this.layers[this.layers.length - 1].units;
  }

  /** Raw scores (logits), n x outputs, for x of n x inputSize. */
  predict(x: Float32Array): Float32Array {
    const n = this.rows(x);
    const out = new Float32Array(n * this.outputSize);
    for (let r0 = 0; r0 < n; r0 += CHUNK) {
      const rows = Math.min(CHUNK, n - r0);
      const scores = this.forward(x.subarray(r0 * this.inputSize, (r0 + rows) * this.inputSize), rows);
      out.set(scores.subarray(0, rows * this.outputSize), r0 * this.outputSize);
    }
    return out;
  }

  /** The highest-scoring class per row. */
  predictClasses(x: Float32Array): Int32Array {
    return argmaxRows(this.predict(x), this.outputSize);
  }

  /** Class probabilities (softmax of the scores), n x outputs. */
  predictProba(x: Float32Array): Float32Array {
    const p = this.predict(x);
    const c = this.outputSize;
    for (let r = 0; r < p.length; r += c) {
      let mx = -Infinity;
      for (let j = 0; j < c; j++) mx = Math.max(mx, p[r + j]);
      let sum = 0;
      for (let j = 0; j < c; j++) sum += (p[r + j] = Math.exp(p[r + j] - mx));
      for (let j = 0; j < c; j++) p[r + j] /= sum;
    }
    return p;
  }

  /** Mean data loss plus the regularization penalty. */
  loss(x: Float32Array, y: ArrayLike<number>): number {
    return this.evaluate(x, y).loss + this.regularizationLoss();
  }

  /** Data loss (no regularization), accuracy and sample count. */
  evaluate(x: Float32Array, y: ArrayLike<number>): { loss: number; accuracy: number; n: number } {
    const n = this.rows(x);
    const labels = is.labels(y, 'y', n, this.outputSize);
    const c = this.outputSize;
    let lossSum = 0;
    let correct = 0;
    for (let r0 = 0; r0 < n; r0 += CHUNK) {
      const rows = Math.min(CHUNK, n - r0);
      const yChunk = labels.subarray(r0, r0 + rows);
      const scores = this.forward(x.subarray(r0 * this.inputSize, (r0 + rows) * this.inputSize), rows);
      lossSum += native.softmaxCrossEntropy(scores, yChunk, rows, c, null) * rows;
      const pred = argmaxRows(scores.subarray(0, rows * c), c);
      for (let i = 0; i < rows; i++) if (pred[i] === yChunk[i]) correct++;
    }
    return { loss: n > 0 ? lossSum / n : NaN, accuracy: n > 0 ? correct / n : NaN, n };
  }

  /** Sum of every layer's weight penalty (its own regularizer, else `fallback` when given). */
  regularizationLoss(fallback: Regularizer | null = null): number {
    let total = 0;
    for (const layer of this.layers) {
      const r = layer.spec.regularizer ?? fallback;
      if (r !== null) total += r.penalty(layer.w, null);
    }
    return total;
  }

  /**
   * Forward and backward on one batch: fills `grads` and returns the mean data loss plus the
   * regularization penalty. `defaultL2` regularizes layers that have no regularizer of their own.
   * `y` must already be validated (Int32Array, labels in range).
   */
  computeGradients(x: Float32Array, y: Int32Array, n: number, defaultL2 = 0): number {
    const ws = this.workspace(n);
    const scores = this.forward(x, n);
    const last = this.layers.length - 1;
    let loss = native.softmaxCrossEntropy(scores, y, n, this.outputSize, ws.grads[last]);
    for (let l = last; l >= 0; l--) {
      const layer = this.layers[l];
      const r = layer.spec.regularizer;
      // fused: dZ = dA ⊙ act'(Z) in place, dW = Xᵀ·dZ + penalty gradient, db = Σ dZ, dX = dZ·Wᵀ (not for layer 0)
      loss += native.denseBackward(l === 0 ? x : ws.acts[l - 1], layer.w, ws.acts[l], ws.grads[l], ws.grads[l], layer.dw, layer.db,
        l > 0 ? ws.grads[l - 1] : null, n, layer.fanIn, layer.units, ACTIVATION_CODES[layer.spec.activation],
        r !== null ? r.l1 : 0, r !== null ? r.l2 : defaultL2, 0);
    }
    return loss;
  }

  /** An independent copy with the same configuration and parameters. */
  clone(): Sequential {
    const copy = new Sequential({
      inputSize: this.inputSize,
      layers: this.layers.map((l) => l.spec),
      loss: this.lossName,
      seed: this.seed,
    });
    copy.params.set(this.params);
    return copy;
  }

  /** Number of samples in x, checking it is a whole number of rows. */
  private rows(x: Float32Array): number {
    is.float32Array(x, 'x');
    if (x.length % this.inputSize !== 0) {
      throw is.shapeError('x.length', `a multiple of inputSize ${this.inputSize}`, x.length);
    }
    return x.length / this.inputSize;
  }

  /** Runs the layers on n rows of x; returns the last layer's output buffer (n x outputs). */
  private forward(x: Float32Array, n: number): Float32Array {
    const ws = this.workspace(n);
    let input = x;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      const out = ws.acts[l];
      native.denseForward(input, layer.w, layer.b, out, n, layer.fanIn, layer.units, ACTIVATION_CODES[layer.spec.activation], 0);
      input = out;
    }
    return input;
  }

  private workspace(n: number): Workspace {
    let ws = this.workspaces.get(n);
    if (ws === undefined) {
      if (this.workspaces.size >= 4) this.workspaces.clear(); // a few batch sizes in use at once, at most
      ws = {
        acts: this.layers.map((l) => new Float32Array(n * l.units)),
        grads: this.layers.map((l) => new Float32Array(n * l.units)),
      };
      this.workspaces.set(n, ws);
    }
    return ws;
  }
}

/** Index of the largest value in each row of an (n, c) matrix. */
export function argmaxRows(m: Float32Array, c: number): Int32Array {
  const n = m.length / c;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    let bestValue = m[r * c];
    for (let j = 1; j < c; j++) {
      if (m[r * c + j] > bestValue) {
        bestValue = m[r * c + j];
        best = j;
      }
    }
    out[r] = best;
  }
  return out;
}
