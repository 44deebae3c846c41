/** What the CLI's --data and --init flags name. */
import * as path from 'path';
import { NnError } from './errors';
import { readMaybeGzip, loadCsv } from './data/csv';
import { Dataset } from './data/dataset';
import { loadDigits } from './data/datasets';
import { loadCifar10, loadMnist } from './data/idx';
import { init, Initializer } from './initializers';

export interface LoadAnyOptions {
  labels?: string;
  labelColumn?: number;
}

/**
 * A data set from a path: 'digits' (bundled), an IDX images file (magic 0 0 type ndims; needs
 * `labels`), a CIFAR-10 binary batch (.bin, or a size that is a whole number of records), else CSV.
 */
export async function loadAny(source: string, options: LoadAnyOptions = {}): Promise<Dataset> {
  if (source === 'digits') return loadDigits();
  const head = (await readMaybeGzip(source)).subarray(0, 4);
  const isIdx = head.length === 4 && head[0] === 0 && head[1] === 0 && [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e].includes(head[2]) && head[3] >= 2;
  if (isIdx) {
    if (options.labels === undefined) throw new NnError('NNKIT_ERR_ARG', `Expected a labels file (--labels) for the IDX images ${source} but received nothing`);
    return loadMnist(source, options.labels);
  }
  const base = path.basename(source).toLowerCase();
  if (base.endsWith('.bin') || base.endsWith('.bin.gz')) return loadCifar10(source);
  if (options.labels !== undefined) {
    throw new NnError('NNKIT_ERR_ARG', `Expected an IDX images file beside --labels but received ${source}`);
  }
  return loadCsv(source, { labelColumn: options.labelColumn ?? -1 });
}

/** xavier | he | glorotUniform | glorotNormal | orthogonal | gaussian:STD */
export function initFromFlag(value: string): Initializer {
  const m = /^gaussian:(.+)$/.exec(value);
  if (m !== null) {
    const std = Number(m[1]);
    if (!Number.isFinite(std) || std < 0) throw new NnError('NNKIT_ERR_ARG', `Expected gaussian:STD with a non-negative STD for --init but received '${value}'`);
    return init.gaussian(std);
  }
  switch (value) {
    case 'xavier':
      return init.xavier();
    case 'he':
      return init.he();
    case 'glorotUniform':
      return init.glorotUniform();
    case 'glorotNormal':
      return init.glorotNormal();
    case 'orthogonal':
      return init.orthogonal();
    default:
      throw new NnError('NNKIT_ERR_ARG', `Expected one of xavier, gaussian:STD, he, glorotUniform, glorotNormal, orthogonal for --init but received '${value}'`);
  }
}
