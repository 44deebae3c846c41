/** Layer specs and their registry ({ name, config } with nested initializer/regularizer entries). */
import { initializers } from '../initializers';
import * as is from '../is';
import { Config, Serialized } from '../registry';
import { regularizers } from '../regularizers';
import { dense, DenseSpec } from './dense';
import { dropout, DropoutSpec } from './dropout';

export type LayerSpec = DenseSpec | DropoutSpec;
export const LAYER_NAMES = ['dense', 'dropout'] as const;

export function serializeLayer(spec: LayerSpec): Serialized {
  if (spec.type === 'dropout') return { name: 'dropout', config: { rate: spec.rate } };
  return {
    name: 'dense',
    config: {
      units: spec.units,
      activation: spec.activation,
      init: initializers.serialize(spec.init),
      bias: spec.bias,
      regularizer: spec.regularizer === null ? null : regularizers.serialize(spec.regularizer),
    },
  };
}

export function deserializeLayer(value: unknown): LayerSpec {
  if (typeof value !== 'object' || value === null) throw is.invalid('layer', '{ name, config } of a layer', value);
  const { name, config = {} } = value as { name: unknown; config?: Config };
  switch (name) {
    case 'dropout':
      return dropout(config.rate as number);
    case 'dense':
      return dense(config.units as number, {
        activation: config.activation as DenseSpec['activation'],
        init: config.init === undefined ? undefined : initializers.deserialize(config.init),
        bias: config.bias as boolean | undefined,
        regularizer: config.regularizer == null ? undefined : regularizers.deserialize(config.regularizer),
      });
    default:
      throw is.invalid('layer name', LAYER_NAMES.map((n) => `'${n}'`).join(', ').replace(/^/, 'one of '), name);
  }
}

export { dense, dropout };
export type { DenseSpec, DropoutSpec };
