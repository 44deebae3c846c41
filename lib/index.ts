/**
 * nnkit: neural-network training for Node.js, a TypeScript API over hand-written SIMD kernels.
 *
 * @example
 * import { Sequential, dense, init, train, loadDigits, split } from 'nnkit';
 * const data = split(await loadDigits(), { valFraction: 0.2, seed: 1 });
 * const model = new Sequential({ inputSize: 64, layers: [dense(50, { activation: 'relu' }), dense(10)], loss: 'softmax' });
 * const { bestModel, bestValAcc } = await train(model, data, { epochs: 10, learningRate: 1e-3, verbose: true });
 */
export { NnError } from './errors';
export type { NnErrorCode } from './errors';
export { linalg } from './linalg';
export type { Isa } from './native';
export { init, initializers } from './initializers';
export type { Initializer } from './initializers';
export { reg, regularizers } from './regularizers';
export type { Regularizer } from './regularizers';
export { optim, optimizers } from './optimizers';
export type { Optimizer, OptimizerState } from './optimizers';
export { schedule, schedules } from './schedules';
export type { Schedule } from './schedules';
export { Registry } from './registry';
export type { Serialized } from './registry';
export { dense } from './layers/dense';
export { dropout } from './layers/dropout';
export type { DropoutSpec } from './layers/dropout';
export type { LayerSpec } from './layers/index';
export type { Activation, DenseOptions, DenseSpec } from './layers/dense';
export { Sequential } from './models/sequential';
export type { DenseLayer, DropoutLayer, Layer, ModelConfig, SequentialConfig } from './models/sequential';
export type { LossName } from './losses';
export { train } from './trainer';
export type { EpochInfo, ProgressInfo, StopReason, TrainData, TrainOptions, TrainResult } from './trainer';
export { preprocess, preprocessors } from './preprocess';
export type { FittedStep, PreprocessStep } from './preprocess';
import { preprocess as steps } from './preprocess';
/** Preprocessing steps for train({ preprocess: [...] }). */
export const center = steps.center;
export const standardize = steps.standardize;
export { gradCheck } from './gradcheck';
export { activationStats } from './diagnostics';
export type { LayerStats } from './diagnostics';
export type { GradCheckOptions, GradCheckResult } from './gradcheck';
export { loadCsv } from './data/csv';
export type { CsvOptions } from './data/csv';
export type { Dataset } from './data/dataset';
export { loadDigits } from './data/datasets';
export { loadMnist, loadCifar10, parseIdx } from './data/idx';
export { loadText } from './data/text';
export type { TextData } from './data/text';
export { split } from './data/split';
export type { SplitData, SplitOptions } from './data/split';
export { Rng } from './rng';
export { fmtE, fmtF } from './format';
export { sanityCheck } from './sanity';
export type { SanityOptions, SanityResult, SanityVerdict } from './sanity';
