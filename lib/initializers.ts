/**
 * Weight initializers. A weight matrix is fan_in x fan_out, row-major, as the lecture writes it
 * (`W = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)`).
 */
import * as is from './is';
import { Rng } from './rng';

export interface Initializer {
  /** Registry name: the factory's name. */
  readonly name: string;
  readonly config: Record<string, number>;
  fill(w: Float32Array, fanIn: number, fanOut: number, rng: Rng): void;
}

export const init = {
  /** `std * randn` — the lecture's `0.01 * np.random.randn(D, H)` and `0.0001 * randn`. */
  gaussian(std = 0.01): Initializer {
    is.nonNegativeNumber(std, 'std');
    return {
      name: 'gaussian',
      config: { std },
      fill(w, _fanIn, _fanOut, rng) {
        for (let i = 0; i < w.length; i++) w[i] = std * rng.gaussian();
      },
    };
  },

  /** Xavier as the lecture writes it: `randn(fan_in, fan_out) / sqrt(fan_in)` (Glorot et al., 2010). */
  xavier(): Initializer {
    return {
      name: 'xavier',
      config: {},
      fill(w, fanIn, _fanOut, rng) {
        const scale = 1 / Math.sqrt(fanIn);
        for (let i = 0; i < w.length; i++) w[i] = scale * rng.gaussian();
      },
    };
  },

  /** All zeros (the default for biases). */
  zeros(): Initializer {
    return {
      name: 'zeros',
      config: {},
      fill(w) {
        w.fill(0);
      },
    };
  },
};
