/**
 * Losses, computed with their gradient in one native pass.
 * - softmax: mean cross-entropy of the softmax of the scores (initial loss ≈ ln C with tiny weights);
 * - svm: mean over samples of Σ_{j≠y} max(0, s_j − s_y + 1) (initial ≈ C − 1);
 * - mse: ½ · mean over samples of Σ_outputs (ŷ − y)², targets a Float32Array of n × outputs.
 */
import { native } from './native';

export const LOSSES = ['softmax', 'svm', 'mse'] as const;
export type LossName = (typeof LOSSES)[number];

/** Classification losses take integer labels; mse takes real targets. */
export function isClassification(loss: LossName): boolean {
  return loss !== 'mse';
}

/** Mean loss of n rows of scores (n x c); fills grad (may be scores) with its gradient when given. */
export function lossAndGrad(loss: LossName, scores: Float32Array, targets: Int32Array | Float32Array, n: number, c: number,
  grad: Float32Array | null): number {
  switch (loss) {
    case 'softmax':
      return native.softmaxCrossEntropy(scores, targets as Int32Array, n, c, grad);
    case 'svm':
      return native.svmLoss(scores, targets as Int32Array, n, c, grad);
    case 'mse':
      return native.mseLoss(scores, targets as Float32Array, n, c, grad);
  }
}
