/**
 * Weight regularizers. Squared terms carry 1/2 so the lecture's numbers reproduce:
 * l2(λ) adds ½·λ·ΣW² to the loss and λ·W to the gradient. Applied to weights, never biases,
 * once per minibatch (not scaled by the batch size).
 */
import * as is from './is';
import { native } from './native';

export interface Regularizer {
  readonly name: string;
  readonly config: Record<string, number>;
  /** Returns the penalty; when `grad` is given, writes the penalty's gradient into it (overwriting). */
  penalty(w: Float32Array, grad: Float32Array | null): number;
}

export const reg = {
  /** L2 weight decay: ½·λ·ΣW², gradient λ·W. */
  l2(lambda: number): Regularizer {
    is.nonNegativeNumber(lambda, 'lambda');
    return {
      name: 'l2',
      config: { lambda },
      penalty(w, grad) {
        return native.l2Penalty(w, w.length, lambda, grad);
      },
    };
  },
};
