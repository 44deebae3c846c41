/**
 * Fully connected layer: Y = act(X · W + b), X: (n, fanIn), W: (fanIn, units), b: (units).
 */
import { init as initializers, Initializer } from '../initializers';
import * as is from '../is';
import { Regularizer } from '../regularizers';

export const ACTIVATIONS = ['relu', 'linear'] as const;
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
 * @example dense(50, { activation: 'relu', init: init.gaussian(1e-4) })
 * @throws {NnError} NNKIT_ERR_ARG for a non-positive `units` or an unknown activation.
 */
export function dense(units: number, options: DenseOptions = {}): DenseSpec {
  is.positiveInteger(units, 'units');
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

/** A dense layer inside a model: its spec plus views into the model's flat parameter buffers. */
export interface DenseLayer {
  readonly spec: DenseSpec;
  readonly fanIn: number;
  readonly units: number;
  readonly w: Float32Array; // (fanIn, units)
  readonly b: Float32Array | null; // (units)
  readonly dw: Float32Array;
  readonly db: Float32Array | null;
}
