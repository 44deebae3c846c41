/**
 * Fully connected layer: Y = act(X · W + b), X: (n, fanIn), W: (fanIn, units), b: (units).
 */
import { init as initializers, Initializer } from '../initializers';
import * as is from '../is';
import { Regularizer } from '../regularizers';

/** relu, leakyRelu (slope 0.01), tanh, sigmoid, linear. */
export const ACTIVATIONS = ['relu', 'leakyRelu', 'tanh', 'sigmoid', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface DenseOptions {
  /** Default 'linear'. */
  activation?: Activation;
  /** Weight initializer, default `init.xavier()`. */
  init?: Initializer;
  /** Whether the layer has a bias (initialized to zeros). Default true. */
  bias?: boolean;
  /** Weight regularizer (biases are never regularized). */
  regularizer?: Regularizer;
}

/** A dense layer's description; `Sequential` builds the parameters from it. */
export interface DenseSpec {
  readonly type: 'dense';
  readonly units: number;
  readonly activation: Activation;
  readonly init: Initializer;
  readonly bias: boolean;
  readonly regularizer: Regularizer | null;
}

/**
 * @example dense(50, { activation: 'relu', init: init.gaussian(1e-4), regularizer: reg.l2(1e-3) })
 * @throws {NnError} NNKIT_ERR_ARG for a non-positive `units`, an unknown activation or a bad option.
 */
export function dense(units: number, options: DenseOptions = {}): DenseSpec {
  is.positiveInteger(units, 'units');
  if (typeof options !== 'object' || options === null) throw is.invalid('options', 'object', options);
  const activation = is.oneOf(options.activation ?? 'linear', 'activation', ACTIVATIONS);
  const bias = is.boolean(options.bias ?? true, 'bias');
  const init = options.init ?? initializers.xavier();
  if (typeof init !== 'object' || init === null || typeof init.fill !== 'function') throw is.invalid('init', 'initializer', init);
  const regularizer = options.regularizer ?? null;
  if (regularizer !== null && (typeof regularizer !== 'object' || typeof regularizer.penalty !== 'function')) {
    throw is.invalid('regularizer', 'regularizer', regularizer);
  }
  return { type: 'dense', units, activation, init, bias, regularizer };
}
