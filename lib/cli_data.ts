/** What the CLI's --data and --init flags name. */
import * as path from 'path';
import { NnError } from './errors';
import { parseCsv, readMaybeGzip } from './data/csv';
import { Dataset } from './data/dataset';
import { loadDigits } from './data/datasets';
import { cifarFromBuffers, looksLikeIdxImages, mnistFromBuffers } from './data/idx';
import { init, Initializer } from './initializers';

export interface LoadAnyOptions {
  labels?: string;
  labelColumn?: number;
}

/**
 * A data set from a path: 'digits' (bundled), an IDX images file (magic 0 0 type ndims; needs
 * `labels`), a CIFAR-10 binary batch (.bin), else CSV. The file is read (and gunzipped) once.
 */
export async function loadAny(source: string, options: LoadAnyOptions = {}): Promise<Dataset> {
  if (source === 'digits') return loadDigits();
  const bytes = await readMaybeGzip(source);
  if (looksLikeIdxImages(bytes)) {
    if (options.labels === undefined) throw new NnError('NNKIT_ERR_ARG', `Expected a labels file (--labels) for the IDX images ${source} but received nothing`);
    return mnistFromBuffers(bytes, source, await readMaybeGzip(options.labels), options.labels);
  }
  if (options.labels !== undefined) {
    throw new NnError('NNKIT_ERR_ARG', `Expected an IDX images file beside --labels but received ${source}`);
  }
  const base = path.basename(source).toLowerCase();
  if (base.endsWith('.bin') || base.endsWith('.bin.gz')) return cifarFromBuffers([bytes], [source]);
  return parseCsv(bytes.toString('latin1'), source, options.labelColumn ?? -1, 'auto');
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
