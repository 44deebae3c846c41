/**
 * The lecture's sanity checks before a long training run:
 *   1. with regularization off, the initial loss is what chance predicts: ln(C) for softmax,
 *      C − 1 for the SVM hinge loss (weights small enough that every score is about equal);
 *   2. turning regularization up (λ = 1e3) raises the loss;
 *   3. the model can overfit a tiny subset (20 examples) to training accuracy 1.00.
 */
import * as is from './is';
import { Sequential } from './models/sequential';
import { fitPipeline, PreprocessStep } from './preprocess';
import { train, TrainData } from './trainer';

export interface SanityVerdict {
  name: 'initialLoss' | 'regularization' | 'overfit';
  passed: boolean;
  /** One line with the numbers, e.g. "initial loss 2.3031 vs ln(10) = 2.3026". */
  message: string;
  [key: string]: unknown;
}

export interface SanityResult {
  passed: boolean;
  checks: SanityVerdict[];
}

export interface SanityOptions {
  /** Fitted on xTrain and applied first (as train's option). */
  preprocess?: PreprocessStep[];
  /** Relative tolerance of the initial-loss check. Default 0.05. */
  tolerance?: number;
  /** Learning rates tried in turn for the overfit check (plain SGD, full batch). Default [1e-3, 1e-2, 1e-1]. */
  learningRates?: number[];
  /** Epochs allowed to overfit. Default 200. */
  epochs?: number;
}

/**
 * @example const { passed, checks } = await sanityCheck(model, { xTrain, yTrain }); checks.forEach((c) => console.log(c.message));
 */
export async function sanityCheck(model: Sequential, data: TrainData, options: SanityOptions = {}): Promise<SanityResult> {
  if (!(model instanceof Sequential)) throw is.invalid('model', 'Sequential', model);
  if (typeof data !== 'object' || data === null) throw is.invalid('data', 'object with xTrain and yTrain', data);
  const tolerance = is.positiveNumber(options.tolerance ?? 0.05, 'tolerance');
  const epochs = is.positiveInteger(options.epochs ?? 200, 'epochs');
  const rates = options.learningRates ?? [1e-3, 1e-2, 1e-1];
  if (!Array.isArray(rates) || rates.length === 0) throw is.invalid('learningRates', 'non-empty array of positive numbers', rates);
  rates.forEach((r, i) => is.positiveNumber(r, `learningRates[${i}]`));

  const xRaw = is.float32Array(data.xTrain, 'xTrain');
  const n = data.yTrain?.length ?? 0;
  if (n === 0 || xRaw.length % n !== 0) throw is.shapeError('xTrain.length', `a multiple of yTrain.length ${n}`, xRaw.length);
  const width = xRaw.length / n;
  const steps = options.preprocess ?? [];
  const x = steps.length > 0 ? fitPipeline(steps, xRaw, width).x : model.preprocess.length > 0 ? null : xRaw;
  const evaluateLoss = (m: Sequential) => (x !== null ? m.evaluateFeatures(x, data.yTrain).loss : m.evaluate(xRaw, data.yTrain).loss);
  const checks: SanityVerdict[] = [];
  const c = model.outputSize;

  // 1. initial loss, regularization off
  const dataLoss = evaluateLoss(model);
  if (model.lossName === 'mse') {
    checks.push({ name: 'initialLoss', passed: true, message: `initial loss ${dataLoss.toFixed(4)} (mse: no chance level to compare with)`, loss: dataLoss, expected: null });
  } else {
    const expected = model.lossName === 'softmax' ? Math.log(c) : c - 1;
    const label = model.lossName === 'softmax' ? `ln(${c}) = ${expected.toFixed(4)}` : `C - 1 = ${expected}`;
    const passed = Math.abs(dataLoss - expected) <= tolerance * expected;
    checks.push({
      name: 'initialLoss', passed, loss: dataLoss, expected,
      message: `initial loss ${dataLoss.toFixed(4)} vs ${label}: ${passed ? 'ok' : 'off by more than ' + (100 * tolerance).toFixed(0) + '% (weights too large, or a bug in the loss)'}`,
    });
  }

  // 2. the loss rises with λ = 1e3 (½·λ·ΣW² over every dense weight)
  let sq = 0;
  for (const layer of model.layers) if (layer.kind === 'dense') for (const w of layer.w) sq += w * w;
  const withReg = dataLoss + 0.5 * 1e3 * sq;
  checks.push({
    name: 'regularization', passed: withReg > dataLoss, loss: dataLoss, lossWithReg: withReg, reg: 1e3,
    message: `loss with reg 1e3: ${withReg.toFixed(4)} vs ${dataLoss.toFixed(4)} without: ${withReg > dataLoss ? 'rises, ok' : 'does not rise (all weights zero?)'}`,
  });

  // 3. overfit 20 examples (full batch, plain SGD, no regularization)
  if (model.lossName === 'mse') {
    checks.push({ name: 'overfit', passed: true, message: 'overfit check: skipped for mse (no accuracy)', trainAcc: null });
  } else {
    const m = Math.min(20, n);
    const tiny = { xTrain: xRaw.slice(0, m * width), yTrain: Array.from(data.yTrain as ArrayLike<number>).slice(0, m) };
    let best = { acc: 0, lr: rates[0], epochs: 0 };
    for (const lr of rates) {
      const controller = new AbortController();
      let reached = 0;
      const r = await train(model, tiny, {
        epochs, learningRate: lr, learningRateDecay: 1, update: 'sgd', sampleBatches: false, reg: 0, preprocess: steps.length > 0 ? steps : undefined,
        signal: controller.signal,
        onEpoch: ({ epoch, trainAcc }) => {
          if (trainAcc === 1 && reached === 0) {
            reached = epoch;
            controller.abort();
          }
        },
      });
      const acc = Math.max(0, ...r.stats.trainAccHistory.filter((a) => Number.isFinite(a)));
      if (acc > best.acc || best.epochs === 0) best = { acc, lr, epochs: reached || r.stats.trainAccHistory.length };
      if (acc === 1) break;
    }
    const passed = best.acc === 1;
    checks.push({
      name: 'overfit', passed, trainAcc: best.acc, learningRate: best.lr, epochs: best.epochs, examples: m,
      message: `overfit ${m} examples: train accuracy ${best.acc.toFixed(2)} after ${best.epochs} epochs at lr ${best.lr}${passed ? ', ok' : ' (the model cannot fit a tiny set: check the architecture and the gradient)'}`,
    });
  }
  return { passed: checks.every((v) => v.passed), checks };
}
