/**
 * Parameter updates over a model's flat parameter buffer, run in the native kernels.
 * Sorted in order of increasing complexity. State (velocities) belongs to the optimizer.
 */
import * as is from './is';
import { native } from './native';

export interface Optimizer {
  readonly name: string;
  readonly config: Record<string, number>;
  /** Updates params in place from grads with learning rate lr. */
  step(params: Float32Array, grads: Float32Array, lr: number): void;
}

export const optim = {
  /** Vanilla SGD: w -= lr · g. */
  sgd(): Optimizer {
    return {
      name: 'sgd',
      config: {},
      step(params, grads, lr) {
        native.sgdUpdate(params, grads, params.length, lr);
      },
    };
  },

  /** SGD with momentum (Polyak 1964): v = μ·v − lr·g; w += v. */
  momentum(mu = 0.9): Optimizer {
    is.numberInRange(mu, 'mu', 0, 1, true);
    let velocity: Float32Array | null = null;
    return {
      name: 'momentum',
      config: { mu },
      step(params, grads, lr) {
        if (velocity === null || velocity.length !== params.length) velocity = new Float32Array(params.length);
        native.momentumUpdate(params, grads, velocity, params.length, lr, mu);
      },
    };
  },
};
