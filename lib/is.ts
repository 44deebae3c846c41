/**
 * Argument checks shared by every public function. Each throws `NnError` with the grammar
 * `Expected <what> for <name> but received <value>`.
 */
import { NnError, NnErrorCode } from './errors';

/** Renders a received value for an error message: numbers as written, strings quoted. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'function') return 'a function';
  return 'an object';
}

export function invalid(name: string, expected: string, value: unknown, code: NnErrorCode = 'NNKIT_ERR_ARG'): NnError {
  return new NnError(code, `Expected ${expected} for ${name} but received ${describe(value)}`);
}

export function shapeError(name: string, expected: string, value: unknown): NnError {
  return invalid(name, expected, value, 'NNKIT_ERR_SHAPE');
}

export function isNumber(v: unknown): v is number {
  return typeof v === 'number' && !Number.isNaN(v);
}

export function positiveInteger(v: unknown, name: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) return v;
  throw invalid(name, 'positive integer', v);
}

export function nonNegativeInteger(v: unknown, name: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw invalid(name, 'non-negative integer', v);
}

export function finiteNumber(v: unknown, name: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw invalid(name, 'finite number', v);
}

export function positiveNumber(v: unknown, name: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  throw invalid(name, 'positive number', v);
}

export function nonNegativeNumber(v: unknown, name: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  throw invalid(name, 'non-negative number', v);
}

/** A number in [lo, hi] (or [lo, hi) when `openHigh`). */
export function numberInRange(v: unknown, name: string, lo: number, hi: number, openHigh = false): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= lo && (openHigh ? v < hi : v <= hi)) return v;
  throw invalid(name, `number in [${lo}, ${hi}${openHigh ? ')' : ']'}`, v);
}

export function boolean(v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  throw invalid(name, 'boolean', v);
}

export function float32Array(v: unknown, name: string): Float32Array {
  if (v instanceof Float32Array) return v;
  throw invalid(name, 'Float32Array', v);
}

export function oneOf<T extends string>(v: unknown, name: string, choices: readonly T[]): T {
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  throw invalid(name, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, v);
}

/**
 * Class labels as an Int32Array of length n with every value in [0, classes). Accepts any
 * integer typed array or a number array; copies unless it already is a valid Int32Array.
 */
export function labels(v: unknown, name: string, n: number, classes: number): Int32Array {
  let out: Int32Array;
  if (v instanceof Int32Array) {
    out = v;
  } else if (Array.isArray(v) || v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Int16Array ||
    v instanceof Int8Array || v instanceof Uint32Array || v instanceof Float32Array || v instanceof Float64Array) {
    out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const y = v[i] as number;
      if (!Number.isInteger(y)) throw invalid(`${name}[${i}]`, 'integer class label', y, 'NNKIT_ERR_LABEL');
      out[i] = y;
    }
  } else {
    throw invalid(name, 'Int32Array, Uint8Array or number[] of labels', v);
  }
  if (out.length !== n) throw shapeError(`${name}.length`, `${n} (one label per sample)`, out.length);
  for (let i = 0; i < n; i++) {
    if (out[i] < 0 || out[i] >= classes) {
      throw invalid(`${name}[${i}]`, `integer label in [0, ${classes})`, out[i], 'NNKIT_ERR_LABEL');
    }
  }
  return out;
}
