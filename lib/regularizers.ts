/**
 * Weight regularizers. Squared terms carry ½ so the lecture's numbers reproduce:
 * l2(λ) adds ½·λ·ΣW² (gradient λ·W); l1(λ) adds λ·Σ|W| (gradient λ·sign W);
 * elasticNet(λ, β) adds λ·Σ(½·β·W² + |W|). Weights only, never biases; added once per
 * minibatch (not scaled by the batch size). The native kernel takes every one of them as
 * l1·Σ|W| + ½·l2·ΣW².
 */
import * as is from './is';
import { native } from './native';
import { num, Registry } from './registry';

export interface Regularizer {
  readonly name: string;
  readonly config: Record<string, number>;
  /** The penalty as l1·Σ|W| + ½·l2·ΣW². */
  readonly l1: number;
  readonly l2: number;
  /** Returns the penalty; when `grad` is given, writes the penalty's gradient into it (overwriting). */
  penalty(w: Float32Array, grad: Float32Array | null): number;
}

function make(name: string, config: Record<string, number>, l1: number, l2: number): Regularizer {
  return {
    name,
    config,
    l1,
    l2,
    penalty: (w, grad) => native.penalty(w, w.length, l1, l2, grad, false),
  };
}

export const reg = {
  /** L1: λ·Σ|W|, gradient λ·sign(W). */
  l1(lambda: number): Regularizer {
    is.nonNegativeNumber(lambda, 'lambda');
    return make('l1', { lambda }, lambda, 0);
  },

  /** L2 weight decay: ½·λ·ΣW², gradient λ·W. */
  l2(lambda: number): Regularizer {
    is.nonNegativeNumber(lambda, 'lambda');
    return make('l2', { lambda }, 0, lambda);
  },

  /** Elastic net: λ·Σ(½·β·W² + |W|), gradient λ·(β·W + sign W). */
  elasticNet(lambda: number, beta: number): Regularizer {
    is.nonNegativeNumber(lambda, 'lambda');
    is.nonNegativeNumber(beta, 'beta');
    return make('elasticNet', { lambda, beta }, lambda, lambda * beta);
  },
};

export const regularizers = new Registry<Regularizer>('regularizer');
regularizers.register('l1', (c) => reg.l1(num(c, 'lambda') as number));
regularizers.register('l2', (c) => reg.l2(num(c, 'lambda') as number));
regularizers.register('elasticNet', (c) => reg.elasticNet(num(c, 'lambda') as number, num(c, 'beta') as number));
