/** Data sets bundled with the package. */
import * as path from 'path';
import { loadCsv } from './csv';
import { Dataset } from './dataset';

/** Folder of the bundled data (the package's data/), from lib/data or dist/data. */
export const BUNDLED_DATA_DIR = path.join(__dirname, '..', '..', 'data');

/**
 * scikit-learn's 8x8 handwritten digits: 1,797 samples, 64 features (block counts 0–16),
 * 10 classes. BSD-3-Clause (scikit-learn); originally the UCI "Optical Recognition of
 * Handwritten Digits" data (Alpaydin & Kaynak, 1998, CC BY 4.0). See data/README.md.
 */
export function loadDigits(): Promise<Dataset> {
  return loadCsv(path.join(BUNDLED_DATA_DIR, 'digits.csv.gz'), { labelColumn: -1, header: false });
}
