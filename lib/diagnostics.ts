/**
 * The lecture's initialization diagnostic: the mean and standard deviation of every layer's
 * output on a batch, so a user sees activations collapse with tiny weights and stay healthy with
 * Xavier initialization.
 */
import { Sequential } from './models/sequential';

export interface LayerStats {
  /** Layer index in the model (0 = first hidden layer). */
  layer: number;
  mean: number;
  std: number;
}

/** Per layer `{ layer, mean, std }` of its output on x (prediction mode: dropout off). */
export function activationStats(model: Sequential, x: Float32Array): LayerStats[] {
  return model.layerOutputs(x).map((out, layer) => {
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += out[i];
    const mean = sum / out.length;
    let sq = 0;
    for (let i = 0; i < out.length; i++) sq += (out[i] - mean) ** 2;
    return { layer, mean, std: Math.sqrt(sq / out.length) };
  });
}
