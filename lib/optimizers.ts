/**
 * Parameter updates over a model's flat parameter buffer, run in the native kernels. Sorted in
 * order of increasing complexity. State (velocities, caches, moments, step count) belongs to the
 * optimizer: `getState()` / `setState()` carry it into and out of a checkpoint.
 */
import * as is from './is';
import { native } from './native';
import { num, Registry } from './registry';

export type OptimizerState = Record<string, Float32Array | number>;

/**
 * An optimizer step taken inside the backward pass (Sequential.backwardUpdate): kind 1 SGD, 2
 * momentum, 3 Nesterov, at learning rate lr; `state` the velocity, laid out as the parameters (null
 * for SGD).
 */
export interface FusedStep {
  kind: number;
  lr: number;
  mu: number;
  state: Float32Array | null;
}

export interface Optimizer {
  readonly name: string;
  readonly config: Record<string, number>;
  /** Updates params in place from grads with learning rate lr (on `threads` kernel threads; 0: the default). */
  step(params: Float32Array, grads: Float32Array, lr: number, threads?: number): void;
  /**
   * This step as one the trainer takes inside the backward pass, on each block of weights as soon as
   * its gradient is complete: the same arithmetic as step(), without a pass of its own over every
   * parameter. Counts the step as step() does. Only on optimizers that have such a form (SGD,
   * momentum, Nesterov).
   */
  fused?(params: Float32Array, lr: number): FusedStep;
  /** A copy of the state (buffers and counters); empty before the first step. */
  getState(): OptimizerState;
  /** Restores a state taken with getState() (of an optimizer of the same kind). */
  setState(state: OptimizerState): void;
}

/** An optimizer whose state is some named buffers the size of the parameters, plus a step count. */
function stateful(name: string, config: Record<string, number>, buffers: string[],
  update: (params: Float32Array, grads: Float32Array, lr: number, s: Record<string, Float32Array>, t: number, threads: number) => void,
  fusedKind = 0): Optimizer {
  let state: Record<string, Float32Array> | null = null;
  let t = 0;
  const begin = (params: Float32Array): Record<string, Float32Array> => {
    if (state === null || (buffers.length > 0 && state[buffers[0]].length !== params.length)) {
      state = Object.fromEntries(buffers.map((b) => [b, new Float32Array(params.length)]));
      t = 0;
    }
    t += 1;
    return state;
  };
  const fused = (params: Float32Array, lr: number): FusedStep => {
    const s = begin(params);
    return { kind: fusedKind, lr, mu: config.mu ?? 0, state: buffers.length > 0 ? s[buffers[0]] : null };
  };
  return {
    name,
    config,
    step(params, grads, lr, threads = 0) {
      update(params, grads, lr, begin(params), t, threads);
    },
    ...(fusedKind > 0 ? { fused } : {}),
    getState() {
      if (state === null) return {};
      return { ...Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.slice()])), t };
    },
    setState(s) {
      if (Object.keys(s).length === 0) {
        state = null;
        t = 0;
        return;
      }
      const restored: Record<string, Float32Array> = {};
      for (const b of buffers) {
        if (!(s[b] instanceof Float32Array)) throw is.invalid(`${name} state.${b}`, 'Float32Array', s[b]);
        restored[b] = (s[b] as Float32Array).slice();
      }
      state = restored;
      t = is.nonNegativeInteger(s.t, `${name} state.t`);
    },
  };
}

export const optim = {
  /** Vanilla SGD: w -= lr · g. */
  sgd(): Optimizer {
    return stateful('sgd', {}, [], (w, g, lr, _s, _t, th) => native.sgdUpdate(w, g, w.length, lr, th), 1);
  },

  /** SGD with momentum (Polyak, 1964): v = μ·v − lr·g; w += v. */
  momentum(mu = 0.9): Optimizer {
    is.numberInRange(mu, 'mu', 0, 1, true);
    return stateful('momentum', { mu }, ['v'], (w, g, lr, s, _t, th) => native.momentumUpdate(w, g, s.v, w.length, lr, mu, th), 2);
  },

  /** Nesterov momentum (Nesterov 1983; Sutskever et al. 2013), look-ahead form. */
  nesterov(mu = 0.9): Optimizer {
    is.numberInRange(mu, 'mu', 0, 1, true);
    return stateful('nesterov', { mu }, ['v'], (w, g, lr, s, _t, th) => native.nesterovUpdate(w, g, s.v, w.length, lr, mu, th), 3);
  },

  /** Adagrad (Duchi et al., 2011): cache += g²; w -= lr·g / (√cache + ε). */
  adagrad(eps = 1e-8): Optimizer {
    is.positiveNumber(eps, 'eps');
    return stateful('adagrad', { eps }, ['cache'], (w, g, lr, s, _t, th) => native.adagradUpdate(w, g, s.cache, w.length, lr, eps, th));
  },

  /** RMSProp (Tieleman & Hinton, 2012): cache = d·cache + (1 − d)·g²; w -= lr·g / (√cache + ε). */
  rmsprop(decay = 0.99, eps = 1e-8): Optimizer {
    is.numberInRange(decay, 'decay', 0, 1, true);
    is.positiveNumber(eps, 'eps');
    return stateful('rmsprop', { decay, eps }, ['cache'], (w, g, lr, s, _t, th) => native.rmspropUpdate(w, g, s.cache, w.length, lr, decay, eps, th));
  },

  /** Adam (Kingma & Ba, 2015, https://arxiv.org/abs/1412.6980), with bias correction. */
  adam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8): Optimizer {
    is.numberInRange(beta1, 'beta1', 0, 1, true);
    is.numberInRange(beta2, 'beta2', 0, 1, true);
    is.positiveNumber(eps, 'eps');
    return stateful('adam', { beta1, beta2, eps }, ['m', 'v'], (w, g, lr, s, t, th) =>
      native.adamUpdate(w, g, s.m, s.v, w.length, lr, beta1, beta2, eps, t, th));
  },
};

export const optimizers = new Registry<Optimizer>('optimizer');
optimizers.register('sgd', () => optim.sgd());
optimizers.register('momentum', (c) => optim.momentum(num(c, 'mu')));
optimizers.register('nesterov', (c) => optim.nesterov(num(c, 'mu')));
optimizers.register('adagrad', (c) => optim.adagrad(num(c, 'eps')));
optimizers.register('rmsprop', (c) => optim.rmsprop(num(c, 'decay'), num(c, 'eps')));
optimizers.register('adam', (c) => optim.adam(num(c, 'beta1'), num(c, 'beta2'), num(c, 'eps')));
