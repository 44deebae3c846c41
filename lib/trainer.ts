/**
 * train(): the lecture's ClassifierTrainer as a non-blocking job.
 *
 * Design: each call validates its arguments here, then runs the whole loop on a worker_threads
 * Worker of its own (train_worker.ts), whose kernels use nnkit's native thread pool. Neither the
 * main thread's event loop nor libuv's small thread pool (fs, dns, crypto) does any training
 * work; the main thread only receives one message per epoch and progress messages at most every
 * 50 ms. The model and data are copied to the worker once (structured clone): the caller's model
 * and arrays are never modified, and may be changed freely while training runs. Several train()
 * calls run independently, each on its own worker.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { NnError, NnErrorCode } from './errors';
import { fmtE, fmtF } from './format';
import * as is from './is';
import { isClassification } from './losses';
import { Sequential } from './models/sequential';
import { optim, Optimizer, optimizers } from './optimizers';
import { PreprocessStep, preprocessors } from './preprocess';
import { Schedule, schedule as schedules_, schedules } from './schedules';
import { EpochInfo, fittedFromData, fittedToData, Job, LoopOutcome, ProgressInfo, RunSummary, StopReason } from './train_loop';

export type { EpochInfo, ProgressInfo, StopReason };

export interface TrainData {
  xTrain: Float32Array;
  /** Class labels (Int32Array, Uint8Array or number[]), or for mse Float32Array targets (n x outputs). */
  yTrain: ArrayLike<number>;
  xVal?: Float32Array;
  yVal?: ArrayLike<number>;
}

export const UPDATES = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'] as const;

export interface TrainOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 100. */
  batchSize?: number;
  /** true: each iteration draws batchSize samples with replacement; false: full batch. Default true. */
  sampleBatches?: boolean;
  /** Default 'momentum'. Ignored when `optimizer` is given. */
  update?: (typeof UPDATES)[number];
  /** Momentum coefficient μ for 'momentum' and 'nesterov'. Default 0.9. */
  momentum?: number;
  /** Base learning rate. Default 1e-3. */
  learningRate?: number;
  /** Multiplies the learning rate after every epoch. Default 0.95. Ignored when `schedule` is given. */
  learningRateDecay?: number;
  /** L2 strength λ (½·λ·ΣW²) on every dense weight without a regularizer of its own. Default 0. */
  reg?: number;
  /** A registered optimizer (optim.*); overrides update and momentum. */
  optimizer?: Optimizer;
  /** A registered schedule (schedule.*); overrides learningRateDecay. */
  schedule?: Schedule;
  /** Steps fitted on xTrain, applied to train/val, attached to the returned models. */
  preprocess?: PreprocessStep[];
  /** Drives minibatch sampling and dropout masks. Default 1. */
  seed?: number;
  /** Kernel threads for this job (0: the process default). Default 0. */
  threads?: number;
  /** Print the lecture's epoch lines. Default false. */
  verbose?: boolean;
  /** Stops training within one iteration; the result then has stopReason 'aborted'. */
  signal?: AbortSignal;
  /** Saved atomically at each epoch end: model, optimizer state, epoch, RNG, best model. */
  checkpoint?: string;
  /** Continue from `checkpoint` when the file exists. Default false. */
  resume?: boolean;
  onEpoch?: (info: EpochInfo) => void;
  /** At most every 50 ms, and at each epoch's last iteration. */
  onProgress?: (info: ProgressInfo) => void;
}

export interface TrainResult extends RunSummary {
  /** The model after the last iteration (a trained copy: the caller's model is not modified). */
  model: Sequential;
  /** The model at the epoch end with the best validation accuracy (mse: lowest validation loss;
   * without validation data: lowest cost); the initial parameters when no epoch ended. */
  bestModel: Sequential;
}

const OPTION_KEYS = ['epochs', 'batchSize', 'sampleBatches', 'update', 'momentum', 'learningRate', 'learningRateDecay',
  'reg', 'optimizer', 'schedule', 'preprocess', 'seed', 'threads', 'verbose', 'signal', 'checkpoint', 'resume', 'onEpoch', 'onProgress'] as const;

/** The compiled worker: beside this file in dist/, or dist/ from the TypeScript sources (tests). */
function workerFile(): string {
  const here = path.join(__dirname, 'train_worker.js');
  if (fs.existsSync(here)) return here;
  return path.join(__dirname, '..', 'dist', 'train_worker.js');
}

/**
 * Trains a copy of `model` on a worker thread.
 *
 * @example
 * const { bestModel } = await train(model, { xTrain, yTrain, xVal, yVal }, { epochs: 10, learningRate: 1e-3, verbose: true });
 * @throws {NnError} NNKIT_ERR_ARG / NNKIT_ERR_SHAPE / NNKIT_ERR_LABEL for bad options or data (as a rejection).
 */
export async function train(model: Sequential, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const job = prepareJob(model, data, options);
  const verbose = is.boolean(options.verbose ?? false, 'verbose');
  const { signal, onEpoch, onProgress } = options;

  const abort = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => Atomics.store(abort, 0, 1);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });

  const outcome = await new Promise<LoopOutcome>((resolve, reject) => {
    const worker = new Worker(workerFile(), { workerData: { job, abort } });
    let settled = false;
    const finish = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    worker.on('message', (msg: { type: string; info?: EpochInfo & ProgressInfo; outcome?: LoopOutcome; code?: string | null; message?: string }) => {
      try {
        if (msg.type === 'epoch') {
          const i = msg.info as EpochInfo;
          if (verbose) console.log(`Finished epoch ${i.epoch} / ${i.epochs}: cost ${fmtF(i.cost)}, train: ${fmtF(i.trainAcc)}, val ${fmtF(i.valAcc)}, lr ${fmtE(i.lr)}`);
          onEpoch?.(i);
        } else if (msg.type === 'progress') {
          onProgress?.(msg.info as ProgressInfo);
        } else if (msg.type === 'done') {
          finish(() => resolve(msg.outcome as LoopOutcome));
        } else if (msg.type === 'error') {
          const code = msg.code as NnErrorCode | null;
          finish(() => reject(code !== null ? new NnError(code, msg.message as string) : new Error(msg.message)));
        }
      } catch (e) {
        // a throwing callback ends the job with its error
        Atomics.store(abort, 0, 1);
        finish(() => reject(e));
      }
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`nnkit training thread exited with code ${code}`))));
  }).finally(() => signal?.removeEventListener('abort', onAbort));

  const steps = fittedFromData(outcome.preprocess, 'the trained model');
  const rebuild = (params: Float32Array) => {
    const m = Sequential.fromConfig(job.model.config);
    m.params.set(params);
    m.setPreprocess(steps);
    return m;
  };
  const result: TrainResult = {
    model: rebuild(outcome.params),
    bestModel: rebuild(outcome.bestParams),
    bestValAcc: outcome.bestValAcc,
    bestValLoss: outcome.bestValLoss,
    stopReason: outcome.stopReason,
    diagnosis: outcome.diagnosis,
    stats: outcome.stats,
    samplesPerSec: outcome.samplesPerSec,
    resumedFromEpoch: outcome.resumedFromEpoch,
  };
  if (verbose) {
    if (isClassification(model.lossName)) console.log(`finished optimization. best validation accuracy: ${fmtF(result.bestValAcc)}`);
    else console.log(`finished optimization. best validation loss: ${fmtF(result.bestValLoss)}`);
  }
  return result;
}

/** Validates train()'s arguments and turns them into plain data for the training thread. */
export function prepareJob(model: Sequential, data: TrainData, options: TrainOptions): Job {
  if (!(model instanceof Sequential)) throw is.invalid('model', 'Sequential', model);
  if (typeof data !== 'object' || data === null) throw is.invalid('data', 'object with xTrain and yTrain', data);
  if (typeof options !== 'object' || options === null) throw is.invalid('options', 'object', options);
  for (const key of Object.keys(options)) is.oneOf(key, 'option name', OPTION_KEYS);

  const epochs = is.positiveInteger(options.epochs ?? 10, 'epochs');
  const batchSize = is.positiveInteger(options.batchSize ?? 100, 'batchSize');
  const sampleBatches = is.boolean(options.sampleBatches ?? true, 'sampleBatches');
  const learningRate = is.positiveNumber(options.learningRate ?? 1e-3, 'learningRate');
  const reg = is.nonNegativeNumber(options.reg ?? 0, 'reg');
  const seed = is.nonNegativeInteger(options.seed ?? 1, 'seed');
  const threads = is.nonNegativeInteger(options.threads ?? 0, 'threads');
  is.boolean(options.verbose ?? false, 'verbose');
  const resume = is.boolean(options.resume ?? false, 'resume');
  for (const cb of ['onEpoch', 'onProgress'] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== 'function') throw is.invalid(cb, 'function', options[cb]);
  }
  if (options.signal !== undefined && !(typeof options.signal === 'object' && options.signal !== null && 'aborted' in options.signal)) {
    throw is.invalid('signal', 'AbortSignal', options.signal);
  }
  let checkpoint: string | null = null;
  if (options.checkpoint !== undefined) {
    if (typeof options.checkpoint !== 'string' || options.checkpoint === '') throw is.invalid('checkpoint', 'file path', options.checkpoint);
    checkpoint = path.resolve(options.checkpoint);
  }
  if (resume && checkpoint === null) throw is.invalid('resume', 'a checkpoint path beside it (checkpoint option)', true);

  let optimizer: Optimizer;
  if (options.optimizer !== undefined) {
    if (typeof options.optimizer !== 'object' || options.optimizer === null || typeof options.optimizer.step !== 'function') {
      throw is.invalid('optimizer', 'optimizer (optim.*)', options.optimizer);
    }
    optimizer = options.optimizer;
  } else {
    const update = is.oneOf(options.update ?? 'momentum', 'update', UPDATES);
    const mu = options.momentum ?? 0.9;
    optimizer = update === 'momentum' ? optim.momentum(mu) : update === 'nesterov' ? optim.nesterov(mu) : optim[update]();
  }
  let sched: Schedule;
  if (options.schedule !== undefined) {
    if (typeof options.schedule !== 'object' || options.schedule === null || typeof options.schedule.lr !== 'function') {
      throw is.invalid('schedule', 'schedule (schedule.*)', options.schedule);
    }
    sched = options.schedule;
  } else {
    sched = schedules_.decay(is.positiveNumber(options.learningRateDecay ?? 0.95, 'learningRateDecay'));
  }
  let preprocess: PreprocessStep[] | null = null;
  if (options.preprocess !== undefined) {
    if (!Array.isArray(options.preprocess)) throw is.invalid('preprocess', 'array of preprocessing steps', options.preprocess);
    preprocess = options.preprocess;
  }

  // Data: shapes against the model's raw input width (after any preprocessing).
  const classify = isClassification(model.lossName);
  const c = model.outputSize;
  const xTrain = is.float32Array(data.xTrain, 'xTrain');
  const rawWidth = preprocess !== null ? null : model.rawInputSize;
  const rowsOf = (y: unknown, name: string): number => {
    if (classify) {
      if (!(Array.isArray(y) || ArrayBuffer.isView(y))) throw is.invalid(name, 'Int32Array, Uint8Array or number[] of labels', y);
      return (y as ArrayLike<number>).length;
    }
    if (!(y instanceof Float32Array)) throw is.invalid(name, 'Float32Array of targets (mse)', y);
    if (y.length % c !== 0) throw is.shapeError(`${name}.length`, `a multiple of outputs ${c}`, y.length);
    return y.length / c;
  };
  const nTrain = rowsOf(data.yTrain, 'yTrain');
  if (nTrain === 0 || xTrain.length === 0) throw is.shapeError('xTrain.length', 'at least one sample', xTrain.length);
  const width = xTrain.length / nTrain;
  if (!Number.isInteger(width) || (rawWidth !== null && width !== rawWidth)) {
    throw is.shapeError('xTrain.length', `${nTrain} samples (one per label) x ${rawWidth ?? 'the same width'}`, xTrain.length);
  }
  const yTrain = classify ? is.labels(data.yTrain, 'yTrain', nTrain, c) : (data.yTrain as Float32Array);
  let xVal: Float32Array | null = null;
  let yVal: Int32Array | Float32Array | null = null;
  if (data.xVal !== undefined || data.yVal !== undefined) {
    xVal = is.float32Array(data.xVal, 'xVal');
    const nVal = rowsOf(data.yVal, 'yVal');
    if (nVal === 0 || xVal.length !== nVal * width) throw is.shapeError('xVal.length', `${nVal} samples (one per label) x ${width}`, xVal.length);
    yVal = classify ? is.labels(data.yVal, 'yVal', nVal, c) : (data.yVal as Float32Array);
  }

  // A NaN or Inf in the data would surface as a 'nan' stop blamed on the learning rate: refuse it here.
  requireFinite(xTrain, 'xTrain');
  if (!classify) requireFinite(yTrain as Float32Array, 'yTrain');
  if (xVal !== null) requireFinite(xVal, 'xVal');
  if (yVal !== null && !classify) requireFinite(yVal as Float32Array, 'yVal');

  return {
    model: { config: model.toConfig(), params: model.params.slice(), preprocess: model.preprocess.map(fittedToData) },
    data: { xTrain, yTrain, xVal, yVal },
    options: {
      epochs, batchSize, sampleBatches, learningRate, reg, seed, threads, resume, checkpoint,
      optimizer: optimizers.serialize(optimizer),
      schedule: schedules.serialize(sched),
      preprocess: preprocess === null ? null : preprocess.map((s) => {
        if (typeof s !== 'object' || s === null || typeof s.fit !== 'function') throw is.invalid('preprocess step', 'preprocessing step (center(), standardize(), ...)', s);
        return preprocessors.serialize(s);
      }),
    },
  };
}

function requireFinite(a: Float32Array, name: string): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) throw new NnError('NNKIT_ERR_DATA', `Expected finite values for ${name} but received ${v} at index ${i}`);
  }
}
