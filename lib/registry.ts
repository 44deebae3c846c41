/**
 * One small registry pattern for every family that can be named in a config: initializers,
 * regularizers, layers, losses, optimizers, schedules. An item carries its registry `name` (its
 * factory's name, e.g. 'glorotUniform') and a JSON-able `config`; `{ name, config }` round-trips
 * through JSON and back to an equivalent item.
 */
import { NnError } from './errors';
import * as is from './is';

export type Config = Record<string, unknown>;

export interface Serialized {
  name: string;
  config: Config;
}

export interface Named {
  readonly name: string;
  readonly config: Config;
}

export class Registry<T extends Named> {
  private readonly factories = new Map<string, (config: Config) => T>();

  /** `kind` names the family in error messages ('initializer', 'optimizer', ...). */
  constructor(readonly kind: string) {}

  register(name: string, fromConfig: (config: Config) => T): void {
    if (this.factories.has(name)) throw new NnError('NNKIT_ERR_ARG', `${this.kind} '${name}' is registered twice`);
    this.factories.set(name, fromConfig);
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  serialize(item: T): Serialized {
    return { name: item.name, config: JSON.parse(JSON.stringify(item.config)) as Config };
  }

  /**
   * Rebuilds an item from `{ name, config }` (or from a bare name, with the default config).
   * @throws {NnError} NNKIT_ERR_ARG for an unknown name or a bad config.
   */
  deserialize(value: unknown): T {
    const spec = typeof value === 'string' ? { name: value, config: {} } : value;
    if (typeof spec !== 'object' || spec === null || typeof (spec as Serialized).name !== 'string') {
      throw is.invalid(this.kind, `{ name, config } of a registered ${this.kind}`, value);
    }
    const { name, config } = spec as Serialized;
    const factory = this.factories.get(name);
    if (factory === undefined) throw is.invalid(`${this.kind} name`, `one of ${this.names().map((n) => `'${n}'`).join(', ')}`, name);
    if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
      throw is.invalid(`${name} config`, 'object', config);
    }
    return factory(config ?? {});
  }
}

/** Reads an optional number from a config (undefined keeps the factory's default). */
export function num(config: Config, key: string): number | undefined {
  const v = config[key];
  return v === undefined ? undefined : (v as number);
}
