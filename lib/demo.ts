/**
 * The main job: the lecture's two-layer net (input → 50 hidden ReLU → 10-way softmax, weights
 * 0.0001 · randn) trained with minibatch SGD + momentum on the bundled 8x8 digits, printing the
 * lecture's epoch lines.
 */
import { loadDigits } from './data/datasets';
import { split } from './data/split';
import { init } from './initializers';
import { dense } from './layers/dense';
import { Sequential } from './models/sequential';
import { train, TrainResult } from './trainer';

export interface DemoOptions {
  epochs?: number;
  seed?: number;
  verbose?: boolean;
}

export async function runDemo(options: DemoOptions = {}): Promise<TrainResult> {
  const digits = await loadDigits();
  const data = split(digits, { valFraction: 300 / digits.n, seed: options.seed ?? 1 });
  // Step 1 of the lecture's pipeline: center the data on the training mean (fitted on train only).
  const d = digits.features;
  const mean = new Float64Array(d);
  const nTrain = data.yTrain.length;
  for (let i = 0; i < data.xTrain.length; i++) mean[i % d] += data.xTrain[i] / nTrain;
  for (const x of [data.xTrain, data.xVal]) for (let i = 0; i < x.length; i++) x[i] -= mean[i % d];

  const model = new Sequential({
    inputSize: d,
    layers: [dense(50, { activation: 'relu', init: init.gaussian(1e-4) }), dense(digits.classes, { init: init.gaussian(1e-4) })],
    loss: 'softmax',
    seed: options.seed ?? 1,
  });
  return train(model, data, {
    epochs: options.epochs ?? 10,
    batchSize: 100,
    update: 'momentum',
    momentum: 0.9,
    learningRate: 3e-2,
    learningRateDecay: 0.95,
    reg: 1e-4,
    seed: options.seed ?? 1,
    verbose: options.verbose ?? true,
  });
}
