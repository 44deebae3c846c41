/**
 * A stack of layers trained with a loss. All parameters live in one flat Float32Array (and the
 * gradients in another of the same layout), so an optimizer updates a whole model in a single
 * native call. Forward and backward run in the native kernels (the fused dense layer, dropout,
 * the loss); this file only sequences them.
 */
import { DenseSpec } from '../layers/dense';
import { DropoutSpec } from '../layers/dropout';
import { deserializeLayer, LayerSpec, serializeLayer } from '../layers/index';
import { isClassification, LOSSES, lossAndGrad, LossName } from '../losses';
import * as is from '../is';
import { ACTIVATION_CODES, native } from '../native';
import { Serialized } from '../registry';
import { Rng } from '../rng';
import { encodeModelFile, FORMAT_VERSION, ModelFile, readModelFile, TensorEntry, writeFileAtomic } from '../io/modelfile';
import { NnError } from '../errors';
import { applyPipeline, FittedStep, restoreFitted } from '../preprocess';
import type { FusedStep } from '../optimizers';

export interface SequentialConfig {
  inputSize: number;
  layers: LayerSpec[];
  /** Default 'softmax' (mean cross-entropy). */
  loss?: LossName;
  /** Drives initialization. Default 1. */
  seed?: number;
}

/** The JSON form of a model's configuration (what a saved file's header holds). */
export interface ModelConfig {
  inputSize: number;
  loss: LossName;
  seed: number;
  layers: Serialized[];
}

export interface DenseLayer {
  readonly kind: 'dense';
  readonly spec: DenseSpec;
  readonly fanIn: number;
  readonly units: number;
  readonly w: Float32Array; // (fanIn, units), a view into params
  readonly b: Float32Array | null; // (units)
  readonly dw: Float32Array; // views into grads
  readonly db: Float32Array | null;
  readonly wOffset: number; // where w (and dw) start in params (grads)
  readonly bOffset: number; // where b starts (-1: no bias)
}

export interface DropoutLayer {
  readonly kind: 'dropout';
  readonly spec: DropoutSpec;
  readonly units: number;
}

export type Layer = DenseLayer | DropoutLayer;

export interface GradientOptions {
  /** L2 strength for dense layers without a regularizer of their own (the trainer's `reg`). */
  defaultL2?: number;
  /** Seed of this step's dropout masks (each dropout layer derives its own). Default 0. */
  dropoutSeed?: number;
  /**
   * The batch as row indices into `x`, which then holds a whole data set: row r of the batch is row
   * `rows[r]` of x (`rows.length` must be n; indices are checked). A first dense layer reads the
   * rows in place (no copy of the batch); otherwise they are gathered first.
   */
  rows?: Int32Array;
}

/** Per-batch-size buffers, reused across calls. */
interface Workspace {
  acts: Float32Array[]; // per layer: (n, units), the layer's output
  grads: Float32Array[]; // per layer: dLoss/d(output), then d(pre-activation) in place
  masks: (Float32Array | null)[]; // dropout layers: the last training step's mask
  batch: Float32Array | null; // a gathered batch, when computeGradients gets row indices and layer 0 is dropout
  input: Float32Array | null; // the last forwardLoss call's input (x, or batch), for the backward pass
  inputRows: Int32Array | null; // and its row indices into input (or null: the batch itself)
  penalties: Float64Array; // denseBackwardUpdate's output
}

/** Rows evaluated per chunk by predict/evaluate, to bound memory on large inputs. */
const CHUNK = 1024;

export class Sequential {
  readonly inputSize: number;
  /** The loss the model is trained with (config `loss`). */
  readonly lossName: LossName;
  readonly seed: number;
  readonly layers: readonly Layer[];
  /** Every weight and bias, dense layer after dense layer (W then b). */
  readonly params: Float32Array;
  /** The gradient of the last `computeGradients` call, same layout as `params`. */
  readonly grads: Float32Array;
  /** Threads for this model's kernels (0: the process default, see linalg.setNumThreads). */
  threads = 0;
  private readonly workspaces = new Map<number, Workspace>();
  private fittedSteps: readonly FittedStep[] = [];

  /**
   * @example new Sequential({ inputSize: 3072, layers: [dense(50, { activation: 'relu' }), dropout(0.5), dense(10)], loss: 'softmax' })
   * @throws {NnError} NNKIT_ERR_ARG for a bad configuration.
   */
  constructor(config: SequentialConfig) {
    if (typeof config !== 'object' || config === null) throw is.invalid('config', 'object', config);
    this.inputSize = is.positiveInteger(config.inputSize, 'inputSize');
    this.lossName = is.oneOf(config.loss ?? 'softmax', 'loss', LOSSES);
    this.seed = is.nonNegativeInteger(config.seed ?? 1, 'seed');
    if (!Array.isArray(config.layers) || config.layers.length === 0) throw is.invalid('layers', 'non-empty array of layers', config.layers);
    config.layers.forEach((spec, i) => {
      if (typeof spec !== 'object' || spec === null || (spec.type !== 'dense' && spec.type !== 'dropout')) throw is.invalid(`layers[${i}]`, 'layer', spec);
    });
    if (config.layers[config.layers.length - 1].type !== 'dense') {
      throw is.invalid(`layers[${config.layers.length - 1}]`, 'dense layer (the output layer)', 'dropout');
    }

    let total = 0;
    let width = this.inputSize;
    for (const spec of config.layers) {
      if (spec.type === 'dense') {
        total += width * spec.units + (spec.bias ? spec.units : 0);
        width = spec.units;
      }
    }
    this.params = new Float32Array(total);
    this.grads = new Float32Array(total);

    const rng = new Rng(this.seed);
    const layers: Layer[] = [];
    let offset = 0;
    width = this.inputSize;
    for (const spec of config.layers) {
      if (spec.type === 'dropout') {
        layers.push({ kind: 'dropout', spec, units: width });
        continue;
      }
      const take = (count: number) => {
        const views = [this.params.subarray(offset, offset + count), this.grads.subarray(offset, offset + count)];
        offset += count;
        return views;
      };
      const wOffset = offset;
      const [w, dw] = take(width * spec.units);
      const bOffset = spec.bias ? offset : -1;
      const [b, db] = spec.bias ? take(spec.units) : [null, null];
      spec.init.fill(w, width, spec.units, rng);
      layers.push({ kind: 'dense', spec, fanIn: width, units: spec.units, w, b, dw, db, wOffset, bOffset });
      width = spec.units;
    }
    this.layers = layers;
  }

  /** Rebuilds a model (freshly initialized) from its JSON configuration. */
  static fromConfig(config: ModelConfig): Sequential {
    if (typeof config !== 'object' || config === null || !Array.isArray(config.layers)) throw is.invalid('config', 'model config', config);
    return new Sequential({ inputSize: config.inputSize, loss: config.loss, seed: config.seed, layers: config.layers.map(deserializeLayer) });
  }

  /** The JSON configuration: layers, loss and seed, with every registry entry as { name, config }. */
  toConfig(): ModelConfig {
    return { inputSize: this.inputSize, loss: this.lossName, seed: this.seed, layers: this.layers.map((l) => serializeLayer(l.spec)) };
  }

  /** Fitted preprocessing applied to raw input by predict/evaluate/loss (empty: none). */
  get preprocess(): readonly FittedStep[] {
    return this.fittedSteps;
  }

  /** Width of the raw input predict/evaluate take (inputSize when there is no preprocessing). */
  get rawInputSize(): number {
    return this.fittedSteps.length > 0 ? this.fittedSteps[0].inputSize : this.inputSize;
  }

  /** Attaches fitted preprocessing (the trainer does this); its output width must be inputSize. */
  setPreprocess(steps: readonly FittedStep[]): void {
    for (let i = 1; i < steps.length; i++) {
      if (steps[i].inputSize !== steps[i - 1].outputSize) {
        throw is.shapeError(`preprocessing step ${i} input width`, `${steps[i - 1].outputSize} (step ${i - 1}'s output)`, steps[i].inputSize);
      }
    }
    if (steps.length > 0 && steps[steps.length - 1].outputSize !== this.inputSize) {
      throw is.shapeError('preprocessing output width', `inputSize ${this.inputSize}`, steps[steps.length - 1].outputSize);
    }
    this.fittedSteps = [...steps];
  }

  /** Width of the last layer (number of classes for a classifier). */
  get outputSize(): number {
    return this.layers[this.layers.length - 1].units;
  }

  /** Raw scores (logits), n x outputs, for raw input x of n x rawInputSize (preprocessing applied here). */
  predict(x: Float32Array): Float32Array {
    return this.predictFeatures(this.prepare(x));
  }

  /** Scores for rows that are already preprocessed (n x inputSize). */
  predictFeatures(x: Float32Array): Float32Array {
    const n = this.rows(x);
    const out = new Float32Array(n * this.outputSize);
    this.chunks(x, n, (r0, rows, scores) => out.set(scores.subarray(0, rows * this.outputSize), r0 * this.outputSize));
    return out;
  }

  /** The highest-scoring class per row. */
  predictClasses(x: Float32Array): Int32Array {
    return argmaxRows(this.predict(x), this.outputSize);
  }

  /** Class probabilities (softmax of the scores), n x outputs: for softmax models. */
  predictProba(x: Float32Array): Float32Array {
    if (this.lossName !== 'softmax') throw is.invalid('loss of a model for predictProba', "'softmax'", this.lossName);
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

  /** Data loss (no regularization), accuracy (NaN for mse) and sample count, on raw input. */
  evaluate(x: Float32Array, y: ArrayLike<number>): { loss: number; accuracy: number; n: number } {
    return this.evaluateFeatures(this.prepare(x), y);
  }

  /** evaluate on rows that are already preprocessed (n x inputSize). */
  evaluateFeatures(x: Float32Array, y: ArrayLike<number>): { loss: number; accuracy: number; n: number } {
    const n = this.rows(x);
    const targets = this.targets(y, n);
    const c = this.outputSize;
    const classify = isClassification(this.lossName);
    let lossSum = 0;
    let correct = 0;
    this.chunks(x, n, (r0, rows, scores) => {
      const t = targets.subarray(classify ? r0 : r0 * c, classify ? r0 + rows : (r0 + rows) * c);
      lossSum += lossAndGrad(this.lossName, scores, t, rows, c, null) * rows;
      if (classify) {
        const pred = argmaxRows(scores.subarray(0, rows * c), c);
        for (let i = 0; i < rows; i++) if (pred[i] === t[i]) correct++;
      }
    });
    return { loss: n > 0 ? lossSum / n : NaN, accuracy: n > 0 && classify ? correct / n : NaN, n };
  }

  /** Sum of the dense layers' weight penalties (a layer without one uses L2 `defaultL2`). */
  regularizationLoss(defaultL2 = 0): number {
    let total = 0;
    for (const layer of this.layers) {
      if (layer.kind !== 'dense') continue;
      const r = layer.spec.regularizer;
      if (r !== null) total += r.penalty(layer.w, null);
      else if (defaultL2 > 0) total += native.penalty(layer.w, layer.w.length, 0, defaultL2, null, false);
    }
    return total;
  }

  /**
   * Forward (training mode: dropout on) and backward on one batch: fills `grads` and returns the
   * mean data loss plus the regularization penalty. `y` must already be validated: Int32Array
   * labels in range, or for mse a Float32Array of n x outputs.
   */
  computeGradients(x: Float32Array, y: Int32Array | Float32Array, n: number, options: GradientOptions = {}): number {
    return this.forwardLoss(x, y, n, options) + this.backward(n, options.defaultL2 ?? 0, null);
  }

  /**
   * The first half of a training step (the trainer's, with `backwardUpdate`): forward in training
   * mode and the loss's gradient, kept for the backward pass. Returns the mean data loss, without
   * the penalty.
   */
  forwardLoss(x: Float32Array, y: Int32Array | Float32Array, n: number, options: GradientOptions = {}): number {
    const ws = this.workspace(n);
    let rows = options.rows ?? null;
    if (rows !== null && rows.length !== n) throw is.shapeError('rows.length', `the batch size ${n}`, rows.length);
    if (rows !== null && this.layers[0].kind !== 'dense') {
      // a first dropout layer works on a contiguous batch: gather it
      if (ws.batch === null) ws.batch = new Float32Array(n * this.inputSize);
      native.gatherRows(x, this.inputSize, rows, ws.batch, this.threads);
      x = ws.batch;
      rows = null;
    }
    ws.input = x;
    ws.inputRows = rows;
    const scores = this.forward(x, n, true, options.dropoutSeed ?? 0, rows);
    return lossAndGrad(this.lossName, scores, y, n, this.outputSize, ws.grads[this.layers.length - 1]);
  }

  /**
   * The second half of a training step after `forwardLoss(x, y, n, options)` (same n and options):
   * the backward pass with an optimizer step taken inside it, on a few rows of a dense layer's
   * weights at a time as soon as their gradient is complete, while it is in cache (SGD, momentum or
   * Nesterov: see Optimizer.fused). The result is the step computeGradients then step() would take;
   * `grads` is not filled (the weight gradients are used where they are computed, mostly without
   * being stored). Returns the penalty of the updated weights: the regularization part of the next
   * step's cost.
   * @throws {NnError} NNKIT_ERR_ARG when no forwardLoss on n rows precedes it.
   */
  backwardUpdate(n: number, options: GradientOptions, step: FusedStep): number {
    return this.backward(n, options.defaultL2 ?? 0, step);
  }

  /** Backward from the loss gradient forwardLoss left; the penalty before the step (after it, with one). */
  private backward(n: number, defaultL2: number, step: FusedStep | null): number {
    const ws = this.workspace(n);
    const x = ws.input;
    if (x === null) throw is.invalid('n', 'the batch size of a forwardLoss call not yet followed by its backward pass', n);
    const rows = ws.inputRows;
    ws.input = null; // dZ is computed in place: a second backward pass would start from it
    ws.inputRows = null;
    let penalty = 0;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const input = l === 0 ? x : ws.acts[l - 1];
      if (layer.kind === 'dropout') {
        // dX = dY ⊙ mask (the first layer has no dX to compute)
        if (l > 0) native.vecMul(ws.grads[l], ws.masks[l] as Float32Array, ws.grads[l - 1], n * layer.units);
        continue;
      }
      const r = layer.spec.regularizer;
      const l1 = r !== null ? r.l1 : 0;
      const l2 = r !== null ? r.l2 : defaultL2;
      const act = ACTIVATION_CODES[layer.spec.activation];
      const dx = l > 0 ? ws.grads[l - 1] : null;
      const layerRows = l === 0 ? rows : null;
      if (step === null) {
        // fused: dZ = dY ⊙ act'(Z) in place, dW = Xᵀ·dZ + penalty gradient, db = Σ dZ, dX = dZ·Wᵀ (not for layer 0)
        penalty += native.denseBackward(input, layer.w, ws.acts[l], ws.grads[l], ws.grads[l], layer.dw, layer.db, dx, n,
          layer.fanIn, layer.units, act, l1, l2, this.threads, layerRows);
      } else {
        // the same, then the step on W and b (their offsets in params are the ones in the optimizer's state)
        const wState = step.state !== null ? step.state.subarray(layer.wOffset, layer.wOffset + layer.w.length) : null;
        const bState = step.state !== null && layer.b !== null ? step.state.subarray(layer.bOffset, layer.bOffset + layer.b.length) : null;
        native.denseBackwardUpdate(input, layer.w, ws.acts[l], ws.grads[l], ws.grads[l], layer.dw, layer.db, dx, n,
          layer.fanIn, layer.units, act, l1, l2, this.threads, layerRows, step.kind, step.lr, step.mu, wState, layer.b,
          bState, ws.penalties);
        penalty += ws.penalties[1];
      }
    }
    return penalty;
  }

  /** The dropout mask a layer used in the last computeGradients call on n rows (for gradient checks). */
  dropoutMask(layer: number, n: number): Float32Array | null {
    return this.workspaces.get(n)?.masks[layer] ?? null;
  }

  /** Every layer's output in the last computeGradients call on n rows (views of the workspace). */
  trainingOutputs(n: number): Float32Array[] {
    const ws = this.workspaces.get(n);
    if (ws === undefined) throw is.invalid('n', 'a batch size computeGradients ran on', n);
    return ws.acts;
  }

  /** Every layer's output on raw input x with dropout off (prediction mode), for diagnostics. */
  layerOutputs(raw: Float32Array): Float32Array[] {
    const x = this.prepare(raw);
    const n = this.rows(x);
    const outputs: Float32Array[] = [];
    let input = x;
    for (const layer of this.layers) {
      if (layer.kind === 'dropout') {
        outputs.push(input);
        continue;
      }
      const out = new Float32Array(n * layer.units);
      native.denseForward(input, layer.w, layer.b, out, n, layer.fanIn, layer.units, ACTIVATION_CODES[layer.spec.activation], 0);
      outputs.push(out);
      input = out;
    }
    return outputs;
  }

  /**
   * Saves the configuration and parameters to `path` (the `.nnk` format of lib/io/modelfile.ts:
   * JSON header, little-endian float32 tensors, CRC-32), atomically: a crash mid-save leaves the
   * previous file as it was.
   * @example await model.save('digits.nnk'); const same = await Sequential.load('digits.nnk');
   * @throws {NnError} NNKIT_ERR_IO when the file cannot be written.
   */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw is.invalid('path', 'non-empty string', path);
    await writeFileAtomic(path, this.encode({}));
  }

  /** The model file's bytes, with `extra` header sections (and tensors) beside the model's. */
  encode(extra: Record<string, unknown>, extraTensors: TensorEntry[] = []): Buffer {
    const tensors: TensorEntry[] = [];
    this.layers.forEach((layer, l) => {
      if (layer.kind !== 'dense') return;
      tensors.push({ name: `dense${l}.W`, shape: [layer.fanIn, layer.units], data: layer.w });
      if (layer.b !== null) tensors.push({ name: `dense${l}.b`, shape: [layer.units], data: layer.b });
    });
    const preprocess = this.fittedSteps.length === 0 ? null : this.fittedSteps.map((f, i) => {
      for (const [key, data] of Object.entries(f.state)) tensors.push({ name: `preprocess${i}.${key}`, shape: [data.length], data });
      return { name: f.name, config: f.config, inputSize: f.inputSize, outputSize: f.outputSize, state: Object.keys(f.state) };
    });
    return encodeModelFile({ format: 'nnkit-model', version: FORMAT_VERSION, model: this.toConfig(), preprocess, ...extra },
      [...tensors, ...extraTensors]);
  }

  /**
   * Loads a model saved with `save`. The returned model's parameters are bit-identical to the
   * saved ones.
   * @throws {NnError} NNKIT_ERR_MODEL_FILE for a missing, truncated, corrupted, wrong-version or
   * wrong-shape file: nothing is half-loaded.
   */
  static async load(path: string): Promise<Sequential> {
    if (typeof path !== 'string' || path === '') throw is.invalid('path', 'non-empty string', path);
    return Sequential.fromModelFile(await readModelFile(path), path);
  }

  /** Builds the model a decoded file describes, checking every tensor against the config. */
  static fromModelFile(file: ModelFile, source: string): Sequential {
    const fail = (what: string, received: string) =>
      new NnError('NNKIT_ERR_MODEL_FILE', `Expected ${what} for model file '${source}' but received ${received}`);
    let model: Sequential;
    try {
      model = Sequential.fromConfig(file.header.model as ModelConfig);
    } catch (e) {
      throw fail('a valid model config', `one that fails with: ${(e as Error).message}`);
    }
    model.layers.forEach((layer, l) => {
      if (layer.kind !== 'dense') return;
      const wanted: Array<[string, Float32Array, number[]]> = [[`dense${l}.W`, layer.w, [layer.fanIn, layer.units]]];
      if (layer.b !== null) wanted.push([`dense${l}.b`, layer.b, [layer.units]]);
      for (const [name, target, shape] of wanted) {
        const t = file.tensors.get(name);
        if (t === undefined) throw fail(`tensor '${name}'`, 'none');
        if (t.shape.join('x') !== shape.join('x')) throw fail(`shape ${shape.join('x')} for tensor '${name}'`, `shape ${t.shape.join('x')}`);
        target.set(t.data);
      }
    });
    const pre = file.header.preprocess;
    if (pre !== null && pre !== undefined) {
      if (!Array.isArray(pre)) throw fail('a preprocess section (null or a list of steps)', JSON.stringify(pre).slice(0, 80));
      const steps = pre.map((entry: { name?: unknown; config?: unknown; state?: unknown }, i: number) => {
        if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string' || !Array.isArray(entry.state)) {
          throw fail(`a preprocessing step { name, config, state } at preprocess[${i}]`, JSON.stringify(entry).slice(0, 80));
        }
        const state: Record<string, Float32Array> = {};
        for (const key of entry.state as string[]) {
          const t = file.tensors.get(`preprocess${i}.${key}`);
          if (t === undefined) throw fail(`tensor 'preprocess${i}.${key}'`, 'none');
          state[key] = t.data;
        }
        return restoreFitted(entry.name, (entry.config ?? {}) as Record<string, unknown>, state, source);
      });
      try {
        model.setPreprocess(steps);
      } catch (e) {
        throw fail('preprocessing whose output width is the model\'s inputSize', (e as Error).message);
      }
    }
    return model;
  }

  /** An independent copy with the same configuration and parameters. */
  clone(): Sequential {
    const copy = new Sequential({ inputSize: this.inputSize, layers: this.layers.map((l) => l.spec), loss: this.lossName, seed: this.seed });
    copy.params.set(this.params);
    copy.fittedSteps = this.fittedSteps;
    copy.threads = this.threads;
    return copy;
  }

  /** Validates targets for this model's loss: labels in [0, outputs), or mse targets of n x outputs. */
  targets(y: unknown, n: number): Int32Array | Float32Array {
    if (isClassification(this.lossName)) return is.labels(y, 'y', n, this.outputSize);
    if (!(y instanceof Float32Array)) throw is.invalid('y', 'Float32Array of targets (mse)', y);
    if (y.length !== n * this.outputSize) throw is.shapeError('y.length', `${n * this.outputSize} (n x outputs)`, y.length);
    return y;
  }

  /** Raw input through the fitted preprocessing (x itself when there is none). */
  private prepare(x: Float32Array): Float32Array {
    if (this.fittedSteps.length === 0) return x;
    is.float32Array(x, 'x');
    if (x.length % this.rawInputSize !== 0) throw is.shapeError('x.length', `a multiple of the raw input size ${this.rawInputSize}`, x.length);
    return applyPipeline(this.fittedSteps, x);
  }

  /** Number of samples in x, checking it is a whole number of rows. */
  private rows(x: Float32Array): number {
    is.float32Array(x, 'x');
    if (x.length % this.inputSize !== 0) throw is.shapeError('x.length', `a multiple of inputSize ${this.inputSize}`, x.length);
    return x.length / this.inputSize;
  }

  /** Runs prediction-mode forward passes over x in chunks of rows. */
  private chunks(x: Float32Array, n: number, fn: (r0: number, rows: number, scores: Float32Array) => void): void {
    for (let r0 = 0; r0 < n; r0 += CHUNK) {
      const rows = Math.min(CHUNK, n - r0);
      fn(r0, rows, this.forward(x.subarray(r0 * this.inputSize, (r0 + rows) * this.inputSize), rows, false, 0));
    }
  }

  /** Runs the layers on n rows of x; returns the last layer's output buffer (n x outputs). */
  /** rows (first layer dense only): the batch as row indices into x, as in GradientOptions. */
  private forward(x: Float32Array, n: number, training: boolean, dropoutSeed: number, rows: Int32Array | null = null): Float32Array {
    const ws = this.workspace(n);
    let input = x;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      const out = ws.acts[l];
      if (layer.kind === 'dropout') {
        if (!training) continue; // inverted dropout: the identity at prediction time
        const layerSeed = (Math.imul(dropoutSeed, 0x9e3779b1) + Math.imul(l + 1, 0x85ebca77)) >>> 0;
        native.dropoutForward(input, out, ws.masks[l] as Float32Array, n * layer.units, 1 - layer.spec.rate, layerSeed);
      } else {
        native.denseForward(input, layer.w, layer.b, out, n, layer.fanIn, layer.units, ACTIVATION_CODES[layer.spec.activation],
          this.threads, l === 0 ? rows : null);
      }
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
        masks: this.layers.map((l) => (l.kind === 'dropout' ? new Float32Array(n * l.units) : null)),
        batch: null,
        input: null,
        inputRows: null,
        penalties: new Float64Array(2),
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
