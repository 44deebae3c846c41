/**
 * Learning-rate schedules: pure functions of (base rate, iteration, epoch), iteration counted
 * from 0 over the whole run and epoch from 0 (the epoch the iteration belongs to).
 */
import * as is from './is';
import { Config, num, Registry, Serialized } from './registry';

export interface Schedule {
  readonly name: string;
  readonly config: Config;
  /** The learning rate at this iteration, from the base rate. */
  lr(base: number, iteration: number, epoch: number): number;
}

export const schedule = {
  /** The base rate throughout. */
  constant(): Schedule {
    return { name: 'constant', config: {}, lr: (base) => base };
  },

  /** base · factor^epoch: the lecture's per-epoch `learning_rate_decay`. */
  decay(factor: number): Schedule {
    is.positiveNumber(factor, 'factor');
    return { name: 'decay', config: { factor }, lr: (base, _it, epoch) => base * factor ** epoch };
  },

  /** base · factor^floor(epoch / everyEpochs): a step down every few epochs. */
  step(everyEpochs: number, factor: number): Schedule {
    is.positiveInteger(everyEpochs, 'everyEpochs');
    is.positiveNumber(factor, 'factor');
    return { name: 'step', config: { everyEpochs, factor }, lr: (base, _it, epoch) => base * factor ** Math.floor(epoch / everyEpochs) };
  },

  /** base · perIteration^iteration. */
  exponential(perIteration: number): Schedule {
    is.positiveNumber(perIteration, 'perIteration');
    return { name: 'exponential', config: { perIteration }, lr: (base, it) => base * perIteration ** it };
  },

  /**
   * Cosine decay (Loshchilov & Hutter, 2017, https://arxiv.org/abs/1608.03983) from base to minLr
   * over totalIterations, then minLr.
   */
  cosine(totalIterations: number, minLr = 0): Schedule {
    is.positiveInteger(totalIterations, 'totalIterations');
    is.nonNegativeNumber(minLr, 'minLr');
    return {
      name: 'cosine',
      config: { totalIterations, minLr },
      lr(base, it) {
        // 1) past the end: the floor; 2) in between: half a cosine from base down to minLr
        if (it >= totalIterations) return minLr;
        const ratio = it / totalIterations;
        return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (base - minLr);
      },
    };
  },

  /** Linear warmup from base / iterations up to base over `iterations`, then `then` (on the same counters). */
  warmup(iterations: number, then: Schedule = schedule.constant()): Schedule {
    is.positiveInteger(iterations, 'iterations');
    if (typeof then !== 'object' || then === null || typeof then.lr !== 'function') throw is.invalid('then', 'schedule', then);
    return {
      name: 'warmup',
      config: { iterations, then: schedules.serialize(then) },
      lr: (base, it, epoch) => (it < iterations ? (base * (it + 1)) / iterations : then.lr(base, it, epoch)),
    };
  },
};

export const schedules = new Registry<Schedule>('schedule');
schedules.register('constant', () => schedule.constant());
schedules.register('decay', (c) => schedule.decay(num(c, 'factor') as number));
schedules.register('step', (c) => schedule.step(num(c, 'everyEpochs') as number, num(c, 'factor') as number));
schedules.register('exponential', (c) => schedule.exponential(num(c, 'perIteration') as number));
schedules.register('cosine', (c) => schedule.cosine(num(c, 'totalIterations') as number, num(c, 'minLr')));
schedules.register('warmup', (c) => schedule.warmup(num(c, 'iterations') as number, c.then === undefined ? undefined : schedules.deserialize(c.then as Serialized)));
