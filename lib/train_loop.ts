/**
 * The training loop itself: the lecture's ClassifierTrainer, run on the training thread (see
 * trainer.ts). Everything it receives is plain data (a model config and parameters, typed arrays,
 * registry entries), so it runs the same in a worker as anywhere else.
 */
import * as fs from 'fs';
import { NnError } from './errors';
import { readModelFile, TensorEntry, writeFileAtomic } from './io/modelfile';
import { ModelConfig, Sequential } from './models/sequential';
import { optimizers } from './optimizers';
import { FittedStep, fitPipeline, applyPipeline, preprocessors, restoreFitted } from './preprocess';
import { Serialized } from './registry';
import { native } from './native';
import { Rng } from './rng';
import { schedules } from './schedules';

export type StopReason = 'completed' | 'exploded' | 'nan' | 'aborted';

export const DIAGNOSIS_EXPLODED = 'cost exploded: learning rate is probably too high';
export const DIAGNOSIS_TOO_LOW = 'loss barely changing: learning rate is probably too low';

/** A fitted preprocessing step as plain data. */
export interface FittedData {
  name: string;
  config: Record<string, unknown>;
  state: Record<string, Float32Array>;
}

export interface Job {
  model: { config: ModelConfig; params: Float32Array; preprocess: FittedData[] };
  data: { xTrain: Float32Array; yTrain: Int32Array | Float32Array; xVal: Float32Array | null; yVal: Int32Array | Float32Array | null };
  options: {
    epochs: number;
    batchSize: number;
    sampleBatches: boolean;
    learningRate: number;
    schedule: Serialized;
    optimizer: Serialized;
    reg: number;
    seed: number;
    threads: number;
    preprocess: Serialized[] | null;
    checkpoint: string | null;
    resume: boolean;
  };
}

export interface Stats {
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  valLossHistory: number[];
  lrHistory: number[];
}

export interface EpochInfo {
  epoch: number;
  epochs: number;
  cost: number;
  trainAcc: number;
  valAcc: number;
  lr: number;
}

export interface ProgressInfo {
  iteration: number;
  iterations: number;
  epoch: number;
  cost: number;
}

/** What a run reports besides its models (train()'s result carries these as they are). */
export interface RunSummary {
  /** NaN without validation data, and for mse. */
  bestValAcc: number;
  /** The best model's validation loss (NaN without validation data). */
  bestValLoss: number;
  stopReason: StopReason;
  diagnosis: string | null;
  stats: Stats;
  /** Samples through forward, backward and update per second of training time (evaluation excluded). */
  samplesPerSec: number;
  /** The epoch a resumed run continued after (0 for a fresh run). */
  resumedFromEpoch: number;
}

export interface LoopOutcome extends RunSummary {
  params: Float32Array;
  bestParams: Float32Array;
  preprocess: FittedData[];
}

export interface LoopHooks {
  shouldAbort(): boolean;
  onEpoch(info: EpochInfo): void;
  onProgress(info: ProgressInfo): void;
}

/** Up to this many training samples are scored for the per-epoch train accuracy. */
const TRAIN_ACC_SAMPLES = 1000;
/** Progress reports at most this often (ms), plus one at every epoch end. */
const PROGRESS_EVERY_MS = 50;

export function fittedToData(f: FittedStep): FittedData {
  return { name: f.name, config: f.config, state: f.state };
}

export function fittedFromData(d: FittedData[], source: string): FittedStep[] {
  return d.map((f) => restoreFitted(f.name, f.config, f.state, source));
}

export async function runLoop(job: Job, hooks: LoopHooks): Promise<LoopOutcome> {
  const o = job.options;
  const net = Sequential.fromConfig(job.model.config);
  net.params.set(job.model.params);
  net.threads = o.threads;
  const classify = net.lossName !== 'mse';
  const c = net.outputSize;

  // Preprocessing: fitted on the training rows only, applied to train and val once.
  let steps: FittedStep[];
  let xTrain: Float32Array;
  if (o.preprocess !== null) {
    const rawWidth = job.data.xTrain.length / (classify ? job.data.yTrain.length : job.data.yTrain.length / c);
    const fitted = fitPipeline(o.preprocess.map((s) => preprocessors.deserialize(s)), job.data.xTrain, rawWidth);
    steps = fitted.fitted;
    xTrain = fitted.x;
  } else {
    steps = fittedFromData(job.model.preprocess, 'the model');
    xTrain = applyPipeline(steps, job.data.xTrain);
  }
  net.setPreprocess(steps);
  const xVal = job.data.xVal === null ? null : applyPipeline(steps, job.data.xVal);
  const yTrain = job.data.yTrain;
  const yVal = job.data.yVal;
  const hasVal = xVal !== null;

  const d = net.inputSize;
  const nTrain = xTrain.length / d;
  const optimizer = optimizers.deserialize(o.optimizer);
  const sched = schedules.deserialize(o.schedule);
  const rng = new Rng(o.seed);
  const itersPerEpoch = o.sampleBatches ? Math.max(1, Math.floor(nTrain / o.batchSize)) : 1;
  const batchRows = o.sampleBatches ? o.batchSize : nTrain;
  // A sampled batch is passed as row indices into xTrain: the first layer reads those rows in place.
  const batchIndex = new Int32Array(o.sampleBatches ? batchRows : 0);
  const yBatch = o.sampleBatches ? (classify ? new Int32Array(batchRows) : new Float32Array(batchRows * c)) : yTrain;
  const totalIterations = itersPerEpoch * o.epochs;
  // Train accuracy at each epoch end: on all samples when there are at most 1000, else on 1000
  // drawn with replacement (gathered into buffers made once).
  const accRows = Math.min(nTrain, TRAIN_ACC_SAMPLES);
  const accIndex = new Int32Array(nTrain > TRAIN_ACC_SAMPLES ? accRows : 0);
  const accX = nTrain > TRAIN_ACC_SAMPLES ? new Float32Array(accRows * d) : xTrain;
  const accY = nTrain > TRAIN_ACC_SAMPLES ? new Int32Array(accRows) : (yTrain as Int32Array);
  const trainAccuracy = (r: Rng): number => {
    if (nTrain > TRAIN_ACC_SAMPLES) {
      for (let k = 0; k < accRows; k++) {
        accIndex[k] = r.int(nTrain);
        accY[k] = yTrain[accIndex[k]];
      }
      native.gatherRows(xTrain, d, accIndex, accX, o.threads);
    }
    return net.evaluateFeatures(accX, accY).accuracy;
  };

  const stats: Stats = { lossHistory: [], trainAccHistory: [], valAccHistory: [], valLossHistory: [], lrHistory: [] };
  let bestParams = net.params.slice(); // before the first epoch ends: the initial parameters
  let bestValAcc = -Infinity;
  let bestValLoss = Infinity;
  let bestCost = Infinity;
  let firstCost = NaN;
  let startEpoch = 1;
  let diagnosis: string | null = null;

  // Resume: the checkpoint's parameters, optimizer state, RNG, counters and best model.
  if (o.checkpoint !== null && o.resume && fs.existsSync(o.checkpoint)) {
    const file = await readModelFile(o.checkpoint);
    const ck = file.header.checkpoint as CheckpointSection | undefined;
    if (ck === undefined) throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected a checkpoint section for model file '${o.checkpoint}' but received a plain model file`);
    if (JSON.stringify(file.header.model) !== JSON.stringify(job.model.config)) {
      throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected the model being trained for checkpoint '${o.checkpoint}' but received a checkpoint of another model`);
    }
    const saved = Sequential.fromModelFile(file, o.checkpoint);
    net.params.set(saved.params);
    const best = file.tensors.get('checkpoint.bestParams');
    if (best === undefined || best.data.length !== net.params.length) throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected tensor 'checkpoint.bestParams' for model file '${o.checkpoint}' but received none`);
    bestParams = best.data.slice();
    const optState: Record<string, Float32Array | number> = { };
    if (ck.optimizer.name !== optimizer.name) {
      throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected optimizer '${optimizer.name}' for checkpoint '${o.checkpoint}' but received '${ck.optimizer.name}'`);
    }
    if (ck.optimizer.t > 0) {
      for (const key of ck.optimizer.buffers) {
        const t = file.tensors.get(`checkpoint.optimizer.${key}`);
        if (t === undefined) throw new NnError('NNKIT_ERR_MODEL_FILE', `Expected tensor 'checkpoint.optimizer.${key}' for model file '${o.checkpoint}' but received none`);
        optState[key] = t.data;
      }
      optState.t = ck.optimizer.t;
    }
    optimizer.setState(optState);
    rng.setState(ck.rng);
    startEpoch = ck.epoch + 1;
    firstCost = ck.firstCost;
    bestValAcc = ck.bestValAcc ?? -Infinity;
    bestValLoss = ck.bestValLoss ?? Infinity;
    bestCost = ck.bestCost ?? Infinity;
    diagnosis = ck.diagnosis;
    for (const key of Object.keys(stats) as Array<keyof Stats>) stats[key] = (ck.stats[key] ?? []).map((v) => (v === null ? NaN : v));
  }

  // SGD, momentum and Nesterov steps are taken inside the backward pass (Sequential.backwardUpdate):
  // a few rows of a layer's weights at a time, as soon as their gradient is final and while it is
  // in L1, so that the weight gradients are mostly never stored and no pass of its own goes over
  // every parameter. The same arithmetic, and still after the cost check: the cost's penalty is that
  // of the current weights, which the previous step computed from the weights it wrote. (In-process
  // A/B, 2 threads: MLP 784-512-512-10 iteration -6 to -7%, two-layer 3072-50-10 -2 to -4%.)
  const fused = optimizer.fused;
  let penaltyNow: number | null = null; // the penalty of the current parameters, for the fused steps' cost

  let trainSeconds = 0;
  let samples = 0;
  let stopReason: StopReason = 'completed';
  let lastProgress = 0;

  outer: for (let epoch = startEpoch; epoch <= o.epochs; epoch++) {
    let cost = NaN;
    let epochCostSum = 0;
    for (let it = 0; it < itersPerEpoch; it++) {
      if (hooks.shouldAbort()) {
        stopReason = 'aborted';
        break outer;
      }
      const iteration = (epoch - 1) * itersPerEpoch + it;
      const t0 = performance.now();
      if (o.sampleBatches) {
        for (let r = 0; r < batchRows; r++) {
          const i = rng.int(nTrain);
          batchIndex[r] = i;
          if (classify) yBatch[r] = yTrain[i];
        }
        if (!classify) native.gatherRows(yTrain as Float32Array, c, batchIndex, yBatch as Float32Array, o.threads);
      }
      const stepOptions = { defaultL2: o.reg, dropoutSeed: rng.nextUint32(), rows: o.sampleBatches ? batchIndex : undefined };
      if (fused !== undefined) {
        // the cost's penalty is the one of the current weights, computed by the previous step
        if (penaltyNow === null) penaltyNow = net.regularizationLoss(o.reg);
        cost = net.forwardLoss(xTrain, yBatch, batchRows, stepOptions) + penaltyNow;
      } else {
        cost = net.computeGradients(xTrain, yBatch, batchRows, stepOptions);
      }
      stats.lossHistory.push(cost);
      if (iteration === 0) firstCost = cost;
      // Explosion: NaN/Inf, or above 3x the first iteration's cost. Stop before updating with it.
      if (!Number.isFinite(cost) || cost > 3 * firstCost) {
        stopReason = Number.isFinite(cost) ? 'exploded' : 'nan';
        diagnosis = DIAGNOSIS_EXPLODED;
        break outer;
      }
      const lr = sched.lr(o.learningRate, iteration, epoch - 1);
      if (fused !== undefined) penaltyNow = net.backwardUpdate(batchRows, stepOptions, fused.call(optimizer, net.params, lr));
      else optimizer.step(net.params, net.grads, lr, o.threads);
      const t1 = performance.now();
      trainSeconds += (t1 - t0) / 1000;
      samples += batchRows;
      epochCostSum += cost;
      if (t1 - lastProgress >= PROGRESS_EVERY_MS || it === itersPerEpoch - 1) {
        lastProgress = t1;
        hooks.onProgress({ iteration: iteration + 1, iterations: totalIterations, epoch, cost });
      }
    }

    // Epoch end: accuracy on (up to 1000) training samples and on the validation set, then decay.
    const trainAcc = classify ? trainAccuracy(rng) : NaN;
    const valEval = hasVal ? net.evaluateFeatures(xVal as Float32Array, yVal as Int32Array | Float32Array) : null;
    const valAcc = valEval !== null ? valEval.accuracy : NaN;
    const valLoss = valEval !== null ? valEval.loss : NaN;
    const lr = sched.lr(o.learningRate, epoch * itersPerEpoch, epoch);
    stats.trainAccHistory.push(trainAcc);
    stats.valAccHistory.push(valAcc);
    stats.valLossHistory.push(valLoss);
    stats.lrHistory.push(lr);
    let better: boolean;
    if (!hasVal) better = cost < bestCost;
    else if (classify) better = valAcc > bestValAcc;
    else better = valLoss < bestValLoss;
    if (better) {
      bestCost = Math.min(bestCost, cost);
      if (hasVal) {
        bestValAcc = classify ? valAcc : bestValAcc;
        bestValLoss = valLoss;
      }
      bestParams = net.params.slice();
    }
    if (epoch === 3 && diagnosis === null) {
      const mean3 = epochCostSum / itersPerEpoch;
      if (Math.abs(mean3 - firstCost) < 0.01 * Math.abs(firstCost)) diagnosis = DIAGNOSIS_TOO_LOW;
    }
    hooks.onEpoch({ epoch, epochs: o.epochs, cost, trainAcc, valAcc, lr });
    if (o.checkpoint !== null) {
      await writeCheckpoint(o.checkpoint, net, bestParams, optimizer, {
        epoch, rng: rng.getState(), firstCost, bestValAcc: finiteOrNull(bestValAcc), bestValLoss: finiteOrNull(bestValLoss),
        bestCost: finiteOrNull(bestCost), diagnosis, stats: jsonStats(stats),
        optimizer: { name: optimizer.name, t: 0, buffers: [] },
      });
    }
  }

  return {
    params: net.params,
    bestParams,
    preprocess: steps.map(fittedToData),
    bestValAcc: hasVal && classify && bestValAcc > -Infinity ? bestValAcc : NaN,
    bestValLoss: hasVal && bestValLoss < Infinity ? bestValLoss : NaN,
    stopReason,
    diagnosis,
    stats,
    samplesPerSec: trainSeconds > 0 ? samples / trainSeconds : 0,
    resumedFromEpoch: startEpoch - 1,
  };
}

interface CheckpointSection {
  epoch: number;
  rng: Array<number | null>;
  firstCost: number;
  bestValAcc: number | null;
  bestValLoss: number | null;
  bestCost: number | null;
  diagnosis: string | null;
  stats: Record<keyof Stats, Array<number | null>>;
  optimizer: { name: string; t: number; buffers: string[] };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function jsonStats(stats: Stats): Record<keyof Stats, Array<number | null>> {
  const out = {} as Record<keyof Stats, Array<number | null>>;
  for (const key of Object.keys(stats) as Array<keyof Stats>) out[key] = stats[key].map(finiteOrNull);
  return out;
}

/** The checkpoint: a model file (loadable with Sequential.load) plus the training position. */
async function writeCheckpoint(file: string, net: Sequential, bestParams: Float32Array, optimizer: ReturnType<typeof optimizers.deserialize>,
  section: CheckpointSection): Promise<void> {
  const state = optimizer.getState();
  const tensors: TensorEntry[] = [{ name: 'checkpoint.bestParams', shape: [bestParams.length], data: bestParams }];
  for (const [key, value] of Object.entries(state)) {
    if (value instanceof Float32Array) {
      tensors.push({ name: `checkpoint.optimizer.${key}`, shape: [value.length], data: value });
      section.optimizer.buffers.push(key);
    } else if (key === 't') {
      section.optimizer.t = value;
    }
  }
  await writeFileAtomic(file, net.encode({ checkpoint: section }, tensors));
}
