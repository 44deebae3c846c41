/** Small readers for the shared real data sets (tests only; the package's loaders come later). */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { SHARED_DATA } from './ref';

export const CIFAR_FILE = path.join(SHARED_DATA, 'cifar10-subset', 'train_4000.bin');
export const MNIST_IMAGES = path.join(SHARED_DATA, 'mnist', 'mnist-train-first10k-images-idx3-ubyte.gz');
export const MNIST_LABELS = path.join(SHARED_DATA, 'mnist', 'mnist-train-first10k-labels-idx1-ubyte.gz');

/** The first n CIFAR-10 records as raw 0–255 pixels (3072 per image, channel-major) and labels. */
export function readCifar(n: number): { x: Float32Array; y: Int32Array } {
  const buf = fs.readFileSync(CIFAR_FILE);
  const x = new Float32Array(n * 3072);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = buf[i * 3073];
    for (let j = 0; j < 3072; j++) x[i * 3072 + j] = buf[i * 3073 + 1 + j];
  }
  return { x, y };
}

/** The first n MNIST digits as raw 0–255 pixels (784 per image) and labels. */
export function readMnist(n: number): { x: Float32Array; y: Int32Array } {
  const images = zlib.gunzipSync(fs.readFileSync(MNIST_IMAGES));
  const labels = zlib.gunzipSync(fs.readFileSync(MNIST_LABELS));
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) x[i] = images[16 + i];
  return { x, y: Int32Array.from(labels.subarray(8, 8 + n)) };
}

/** Subtracts the per-feature mean of `fit` (n x d) from every array given (in place). */
export function centerOn(fit: Float32Array, d: number, ...arrays: Float32Array[]): void {
  const n = fit.length / d;
  const mean = new Float64Array(d);
  for (let i = 0; i < fit.length; i++) mean[i % d] += fit[i] / n;
  for (const a of arrays) for (let i = 0; i < a.length; i++) a[i] -= mean[i % d];
}
