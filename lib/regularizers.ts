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
  /** The penalty as l1·Σ|W| + ½·l2·ΣW², the form the native kernels take. */
  readonly l1: number;
  readonly l2: number;
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
      l1: 0,
      l2: lambda,
      penalty(w, grad) {
        return native.penalty(w, w.length, 0, lambda, grad, false);
      },
    };
  },
};
