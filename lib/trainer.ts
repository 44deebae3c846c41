/**
 * The training loop of the lecture's ClassifierTrainer: minibatch SGD (or momentum) with a
 * per-epoch learning-rate decay, train/val accuracy at each epoch end, the best model by
 * validation accuracy kept as a copy, and the lecture's log lines.
 */
import { NnError } from './errors';
import { fmtE, fmtF } from './format';
import * as is from './is';
import { Sequential } from './models/sequential';
import { optim, Optimizer } from './optimizers';
import { Rng } from './rng';

export interface TrainData {
  xTrain: Float32Array;
  yTrain: ArrayLike<number>;
  xVal?: Float32Array;
  yVal?: ArrayLike<number>;
}

export interface EpochInfo {
  epoch: number;
  epochs: number;
  cost: number;
  trainAcc: number;
  valAcc: number;
  lr: number;
}

export interface TrainOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 100. */
  batchSize?: number;
  /** true: each iteration draws batchSize samples with replacement; false: full batch. Default true. */
  sampleBatches?: boolean;
  /** Default 'momentum'. Ignored when `optimizer` is given. */
  update?: 'sgd' | 'momentum';
  /** Momentum coefficient μ for update 'momentum'. Default 0.9. */
  momentum?: number;
  /** Default 1e-3. */
  learningRate?: number;
  /** Multiplies the learning rate after every epoch. Default 0.95. */
  learningRateDecay?: number;
  /** L2 strength λ (½·λ·ΣW²) on every dense weight without a regularizer of its own. Default 0. */
  reg?: number;
  /** An optimizer instance; overrides update and momentum. */
  optimizer?: Optimizer;
  /** Drives minibatch sampling. Default 1. */
  seed?: number;
  /** Print the lecture's epoch lines. Default false. */
  verbose?: boolean;
  /** Called at each epoch end. */
  onEpoch?: (info: EpochInfo) => void;
}

export interface TrainResult {
  /** The model after the last iteration (a trained copy: the caller's model is not modified). */
  model: Sequential;
  /** The model at the epoch end with the best validation accuracy (lowest cost without val data). */
  bestModel: Sequential;
  bestValAcc: number;
  stopReason: 'completed';
  diagnosis: string | null;
  stats: { lossHistory: number[]; trainAccHistory: number[]; valAccHistory: number[]; lrHistory: number[] };
  /** Samples through forward, backward and update per second of training time (evaluation excluded). */
  samplesPerSec: number;
}

const OPTION_KEYS = ['epochs', 'batchSize', 'sampleBatches', 'update', 'momentum', 'learningRate', 'learningRateDecay',
  'reg', 'optimizer', 'seed', 'verbose', 'onEpoch'] as const;

/** Up to this many training samples are scored for the per-epoch train accuracy. */
const TRAIN_ACC_SAMPLES = 1000;

/**
 * Trains a copy of `model`. Training runs on this thread in slices, yielding to the event loop
 * between them; the data arrays are read, never modified.
 *
 * @example
 * const { bestModel } = await train(model, { xTrain, yTrain, xVal, yVal }, { epochs: 10, learningRate: 1e-3, verbose: true });
 * @throws {NnError} NNKIT_ERR_ARG / NNKIT_ERR_SHAPE / NNKIT_ERR_LABEL for bad options or data.
 */
export async function train(model: Sequential, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  if (!(model instanceof Sequential)) throw is.invalid('model', 'Sequential', model);
  if (typeof data !== 'object' || data === null) throw is.invalid('data', 'object with xTrain and yTrain', data);
  if (typeof options !== 'object' || options === null) throw is.invalid('options', 'object', options);
  for (const key of Object.keys(options)) is.oneOf(key, 'option name', OPTION_KEYS);

  const epochs = is.positiveInteger(options.epochs ?? 10, 'epochs');
  const batchSize = is.positiveInteger(options.batchSize ?? 100, 'batchSize');
  const sampleBatches = is.boolean(options.sampleBatches ?? true, 'sampleBatches');
  let lr = is.positiveNumber(options.learningRate ?? 1e-3, 'learningRate');
  const decay = is.positiveNumber(options.learningRateDecay ?? 0.95, 'learningRateDecay');
  const regStrength = is.nonNegativeNumber(options.reg ?? 0, 'reg');
  const seed = is.nonNegativeInteger(options.seed ?? 1, 'seed');
  const verbose = is.boolean(options.verbose ?? false, 'verbose');
  if (options.onEpoch !== undefined && typeof options.onEpoch !== 'function') throw is.invalid('onEpoch', 'function', options.onEpoch);
  let optimizer: Optimizer;
  if (options.optimizer !== undefined) {
    if (typeof options.optimizer !== 'object' || typeof options.optimizer.step !== 'function') {
      throw is.invalid('optimizer', 'optimizer', options.optimizer);
    }
    optimizer = options.optimizer;
  } else {
    const update = is.oneOf(options.update ?? 'momentum', 'update', ['sgd', 'momentum'] as const);
    optimizer = update === 'sgd' ? optim.sgd() : optim.momentum(options.momentum ?? 0.9);
  }

  const d = model.inputSize;
  const xTrain = is.float32Array(data.xTrain, 'xTrain');
  if (xTrain.length === 0 || xTrain.length % d !== 0) {
    throw is.shapeError('xTrain.length', `a positive multiple of inputSize ${d}`, xTrain.length);
  }
  const nTrain = xTrain.length / d;
  const yTrain = is.labels(data.yTrain, 'yTrain', nTrain, model.outputSize);
  const hasVal = data.xVal !== undefined;
  let xVal: Float32Array | null = null;
  let yVal: Int32Array | null = null;
  if (hasVal) {
    xVal = is.float32Array(data.xVal, 'xVal');
    if (xVal.length === 0 || xVal.length % d !== 0) throw is.shapeError('xVal.length', `a positive multiple of inputSize ${d}`, xVal.length);
    yVal = is.labels(data.yVal, 'yVal', xVal.length / d, model.outputSize);
  }

  const net = model.clone();
  let bestModel = net.clone();
  let bestValAcc = -Infinity;
  let bestCost = Infinity;
  const rng = new Rng(seed);
  const itersPerEpoch = sampleBatches ? Math.max(1, Math.floor(nTrain / batchSize)) : 1;
  const batchRows = sampleBatches ? batchSize : nTrain;
  const xBatch = sampleBatches ? new Float32Array(batchRows * d) : xTrain;
  const yBatch = sampleBatches ? new Int32Array(batchRows) : yTrain;
  const stats = { lossHistory: [] as number[], trainAccHistory: [] as number[], valAccHistory: [] as number[], lrHistory: [] as number[] };
  let trainSeconds = 0;
  let samples = 0;
  let lastYield = performance.now();

  for (let epoch = 1; epoch <= epochs; epoch++) {
    let cost = NaN;
    for (let it = 0; it < itersPerEpoch; it++) {
      const t0 = performance.now();
      if (sampleBatches) {
        for (let r = 0; r < batchRows; r++) {
          const i = rng.int(nTrain);
          xBatch.set(xTrain.subarray(i * d, (i + 1) * d), r * d);
          yBatch[r] = yTrain[i];
        }
      }
      cost = net.computeGradients(xBatch, yBatch, batchRows, { defaultL2: regStrength, dropoutSeed: rng.nextUint32() });
      optimizer.step(net.params, net.grads, lr);
      const t1 = performance.now();
      trainSeconds += (t1 - t0) / 1000;
      samples += batchRows;
      stats.lossHistory.push(cost);
      if (t1 - lastYield > 10) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }

    // Epoch end: accuracy on (up to 1000) training samples and on the validation set, then decay.
    const trainAcc = accuracyOnSubset(net, xTrain, yTrain, nTrain, rng);
    const valAcc = hasVal ? net.evaluate(xVal as Float32Array, yVal as Int32Array).accuracy : NaN;
    lr *= decay;
    stats.trainAccHistory.push(trainAcc);
    stats.valAccHistory.push(valAcc);
    stats.lrHistory.push(lr);
    if (hasVal ? valAcc > bestValAcc : cost < bestCost) {
      bestValAcc = hasVal ? valAcc : bestValAcc;
      bestCost = cost;
      bestModel = net.clone();
    }
    if (verbose) {
      console.log(`Finished epoch ${epoch} / ${epochs}: cost ${fmtF(cost)}, train: ${fmtF(trainAcc)}, val ${fmtF(valAcc)}, lr ${fmtE(lr)}`);
    }
    options.onEpoch?.({ epoch, epochs, cost, trainAcc, valAcc, lr });
  }
  if (!hasVal) bestValAcc = NaN;
  if (verbose) console.log(`finished optimization. best validation accuracy: ${fmtF(bestValAcc)}`);
  return {
    model: net,
    bestModel,
    bestValAcc,
    stopReason: 'completed',
    diagnosis: null,
    stats,
    samplesPerSec: trainSeconds > 0 ? samples / trainSeconds : 0,
  };
}

/** Accuracy on all samples when there are at most 1000, else on 1000 drawn with replacement. */
function accuracyOnSubset(net: Sequential, x: Float32Array, y: Int32Array, n: number, rng: Rng): number {
  if (n <= TRAIN_ACC_SAMPLES) return net.evaluate(x, y).accuracy;
  const d = net.inputSize;
  const xs = new Float32Array(TRAIN_ACC_SAMPLES * d);
  const ys = new Int32Array(TRAIN_ACC_SAMPLES);
  for (let r = 0; r < TRAIN_ACC_SAMPLES; r++) {
    const i = rng.int(n);
    xs.set(x.subarray(i * d, (i + 1) * d), r * d);
    ys[r] = y[i];
  }
  return net.evaluate(xs, ys).accuracy;
}

