import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { loadCsv } from '../../lib/data/csv';
import { loadDigits } from '../../lib/data/datasets';
import { split } from '../../lib/data/split';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-csv-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

describe('loadCsv', () => {
  it('loads the bundled digits: 1797 samples, 64 features, 10 classes, raw values 0-16', async () => {
    const d = await loadDigits();
    expect([d.n, d.features, d.classes]).toEqual([1797, 64, 10]);
    expect(d.x.length).toBe(1797 * 64);
    expect(Math.max(...d.x)).toBe(16);
    expect(Math.min(...d.x)).toBe(0);
    expect(Array.from(d.y.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(d.x.subarray(0, 8))).toEqual([0, 0, 5, 13, 9, 1, 0, 0]);
  });

  it('reads a header, a chosen label column, CRLF line ends and gzip', async () => {
    const text = 'label,a,b\r\n1,0.5,2\r\n0,-1,3e2\r\n\r\n';
    for (const file of [write('h.csv', text), write('h.csv.gz', zlib.gzipSync(text))]) {
      const d = await loadCsv(file, { labelColumn: 0 });
      expect([d.n, d.features, d.classes]).toEqual([2, 2, 2]);
      expect(Array.from(d.x)).toEqual([0.5, 2, -1, 300]);
      expect(Array.from(d.y)).toEqual([1, 0]);
    }
  });

  it.each([
    ['a non-numeric value', '1,2,0\n1,x,1\n', 'NNKIT_ERR_DATA', /bad\.csv: non-numeric value 'x' at byte offset 8/],
    ['a ragged line', '1,2,0\n1,1\n', 'NNKIT_ERR_DATA', /bad\.csv: 2 columns where the first line has 3 at byte offset 6/],
    ['a fractional label', '1,2,0\n1,1,0.5\n', 'NNKIT_ERR_DATA', /label '0\.5' is not an integer/],
    ['an empty file', '', 'NNKIT_ERR_DATA', /no data lines at byte offset 0/],
  ])('reports %s with the file and byte offset', async (_, content, code, message) => {
    await expect(loadCsv(write('bad.csv', content))).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });

  it('reports a missing file and a corrupt gzip as NNKIT_ERR_DATA', async () => {
    await expect(loadCsv(path.join(tmp, 'nope.csv'))).rejects.toMatchObject({ code: 'NNKIT_ERR_DATA' });
    await expect(loadCsv(write('bad.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3])))).rejects.toMatchObject({ code: 'NNKIT_ERR_DATA', message: expect.stringMatching(/Cannot gunzip/) });
  });
});

describe('split', () => {
  it('holds out valFraction of the samples, shuffled by seed, rows kept with their labels', async () => {
    const d = await loadDigits();
    const s = split(d, { valFraction: 0.25, seed: 2 });
    expect(s.yVal.length).toBe(Math.round(1797 * 0.25));
    expect(s.yTrain.length + s.yVal.length).toBe(1797);
    expect(s.xTrain.length).toBe(s.yTrain.length * 64);
    // every training row is a row of the original with the same label
    const rows = new Map<string, number>();
    for (let i = 0; i < d.n; i++) rows.set(Array.from(d.x.subarray(i * 64, i * 64 + 64)).join(','), d.y[i]);
    for (let i = 0; i < 50; i++) expect(rows.get(Array.from(s.xTrain.subarray(i * 64, i * 64 + 64)).join(','))).toBe(s.yTrain[i]);
    expect(Array.from(split(d, { valFraction: 0.25, seed: 2 }).yVal)).toEqual(Array.from(s.yVal));
    expect(() => split(d, { valFraction: 1 })).toThrow(expect.objectContaining({ code: 'NNKIT_ERR_ARG', message: 'Expected number in (0, 1) for valFraction but received 1' }));
  });
});
