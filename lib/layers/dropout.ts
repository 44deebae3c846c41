/**
 * Inverted dropout (Srivastava et al., 2014). `rate` is the probability of dropping a unit (the
 * lecture's `p` is the keep probability, 1 − rate). At training time kept units are scaled by
 * 1 / (1 − rate), so prediction is the identity.
 */
import * as is from '../is';

export interface DropoutSpec {
  readonly type: 'dropout';
  readonly rate: number;
}

/**
 * @example dropout(0.5)
 * @throws {NnError} NNKIT_ERR_ARG unless 0 <= rate < 1.
 */
export function dropout(rate: number): DropoutSpec {
  is.numberInRange(rate, 'rate', 0, 1, true);
  return { type: 'dropout', rate };
}
