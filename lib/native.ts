/**
 * The one place that loads the native addon, and the whole C++ surface stated as a type.
 * Only typed arrays, numbers and booleans cross; outputs are allocated by the caller and
 * written in place. The binding re-checks lengths (NNKIT_ERR_SHAPE) so that a caller who
 * bypasses the TypeScript wrappers still cannot make a kernel read out of bounds.
 */
import * as os from 'os';
import * as path from 'path';
import { NnError } from './errors';

export type Isa = 'avx512' | 'avx2' | 'scalar';

/** Activation codes shared with native/kernels/nn_kernels.h (enum class Activation). */
export const ACTIVATION_CODES = { linear: 0, relu: 1, leakyRelu: 2, tanh: 3, sigmoid: 4 } as const;

export interface NativeBinding {
  /** The kernel path in use: the lower of NNKIT_ISA and what the CPU supports. */
  readonly isa: Isa;
  /** The best path this CPU supports, whatever NNKIT_ISA asked for. */
  readonly bestIsa: Isa;
  /** threads: 0 or omitted = the process default. */
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array,
    lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number, threads?: number): void;
  setNumThreads(threads: number): void;
  getNumThreads(): number;
  /** Single-thread GFLOP/s of the active ISA's FMA units, measured for about `seconds`. */
  fmaPeak(seconds: number): number;
  /**
   * Single-thread GFLOP/s of the micro-kernel that large products run on, all its operands in
   * L1, measured for about `seconds`: the ceiling of a whole product's rate.
   */
  sgemmTilePeak(seconds: number): number;
  /** Seconds per sgemm call (alpha 1, beta 0), timed in a native loop of at least minSeconds. */
  sgemmBench(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, lda: number,
    b: Float32Array, ldb: number, c: Float32Array, ldc: number, threads: number, minSeconds: number): number;
  biasAdd(y: Float32Array, bias: Float32Array, rows: number, cols: number): void;
  biasGrad(dy: Float32Array, rows: number, cols: number, db: Float32Array): void;
  /** Mean softmax cross-entropy; fills dscores (may be scores itself) with its gradient. */
  softmaxCrossEntropy(scores: Float32Array, labels: Int32Array, n: number, c: number, dscores: Float32Array | null): number;
  activationForward(act: number, x: Float32Array, y: Float32Array, n: number): void;
  activationBackward(act: number, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number): void;
  vecExp(x: Float32Array, y: Float32Array, n: number): void;
  /** Mean multiclass SVM hinge loss; fills dscores with its gradient. */
  svmLoss(scores: Float32Array, labels: Int32Array, n: number, c: number, dscores: Float32Array | null): number;
  /** ½ · mean over rows of Σ (pred − target)²; dpred = (pred − target) / n. */
  mseLoss(pred: Float32Array, target: Float32Array, n: number, c: number, dpred: Float32Array | null): number;
  /** y = a ⊙ b. */
  vecMul(a: Float32Array, b: Float32Array, y: Float32Array, n: number): void;
  /** Puts the calling thread in the SCHED_IDLE class (Linux): for training threads. True when done. */
  lowerThreadPriority(): boolean;
  /** dst row r = src row indices[r] (rows of rowLen floats); indices are bounds-checked. */
  gatherRows(src: Float32Array, rowLen: number, indices: Int32Array, dst: Float32Array, threads?: number): void;
  /** Inverted dropout: mask = (hash(seed, i) < keep) / keep; y = x * mask. */
  dropoutForward(x: Float32Array, y: Float32Array, mask: Float32Array, n: number, keep: number, seed: number): void;
  /** l1·Σ|w| + ½·l2·Σw²; grad (=|+=) l1·sign(w) + l2·w. */
  penalty(w: Float32Array, n: number, l1: number, l2: number, grad: Float32Array | null, accumulate: boolean, threads?: number): number;
  /**
   * y = act(x · w + b), x: n × inn, w: inn × out. rows: the input's row r is row rows[r] of x (x then
   * holds a whole data set; the indices are checked).
   */
  denseForward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, n: number, inn: number,
    out: number, act: number, threads: number, rows?: Int32Array | null): void;
  /**
   * dz = dy ⊙ act'(y); dw = xᵀ·dz + penalty gradient; db = Σ dz; dx = dz·wᵀ (null: skipped). Returns the
   * penalty. rows as in denseForward.
   */
  denseBackward(x: Float32Array, w: Float32Array, y: Float32Array, dy: Float32Array, dz: Float32Array, dw: Float32Array,
    db: Float32Array | null, dx: Float32Array | null, n: number, inn: number, out: number, act: number, l1: number,
    l2: number, threads: number, rows?: Int32Array | null): number;
  /**
   * denseBackward, then an optimizer step on w (and b, from db) taken inside it, on each block of rows
   * of w as soon as its gradient is complete; dx is computed from w before the step. kind: 1 SGD
   * (w -= lr·g), 2 momentum, 3 Nesterov (wState, bState: their velocities). penalties[0] receives the
   * penalty of w before the step (what denseBackward returns), penalties[1] the penalty after it.
   * dw is scratch: its contents afterwards are unspecified (the step is mostly taken from rows of it
   * that are never stored).
   */
  denseBackwardUpdate(x: Float32Array, w: Float32Array, y: Float32Array, dy: Float32Array, dz: Float32Array, dw: Float32Array,
    db: Float32Array | null, dx: Float32Array | null, n: number, inn: number, out: number, act: number, l1: number,
    l2: number, threads: number, rows: Int32Array | null, kind: number, lr: number, mu: number,
    wState: Float32Array | null, b: Float32Array | null, bState: Float32Array | null, penalties: Float64Array): void;
  sgdUpdate(w: Float32Array, g: Float32Array, n: number, lr: number, threads?: number): void;
  momentumUpdate(w: Float32Array, g: Float32Array, v: Float32Array, n: number, lr: number, mu: number, threads?: number): void;
  nesterovUpdate(w: Float32Array, g: Float32Array, v: Float32Array, n: number, lr: number, mu: number, threads?: number): void;
  adagradUpdate(w: Float32Array, g: Float32Array, cache: Float32Array, n: number, lr: number, eps: number, threads?: number): void;
  rmspropUpdate(w: Float32Array, g: Float32Array, cache: Float32Array, n: number, lr: number, decay: number, eps: number, threads?: number): void;
  /** Adam with bias correction for step `step` (1, 2, ...). */
  adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, lr: number, beta1: number,
    beta2: number, eps: number, step: number, threads?: number): void;
}

/** The package root: this file runs from lib/ (ts-jest) or dist/ (the published build). */
const packageRoot = path.join(__dirname, '..');

function load(): NativeBinding {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeGypBuild = require('node-gyp-build') as ((dir: string) => unknown) & { path(dir: string): string };
  try {
    return nodeGypBuild(packageRoot) as NativeBinding;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (typeof e.code === 'string' && e.code.startsWith('NNKIT_ERR_')) throw new NnError(e.code as 'NNKIT_ERR_ISA', e.message);
    const tag = `${os.platform()}-${os.arch()}`;
    throw new NnError('NNKIT_ERR_LOAD', [
      `nnkit could not load its native addon (${e.message.trim().split('\n')[0]}).`,
      `Tried, in order: ${path.join(packageRoot, 'build', 'Release')}, ${path.join(packageRoot, 'build', 'Debug')}, ` +
        `${path.join(packageRoot, 'prebuilds', tag)} (N-API, libc-tagged).`,
      'Possible solutions:',
      `- npm 11 and later skip dependencies' install scripts unless allowed: run \`npm install-scripts approve nnkit\`, ` +
        'then `npm rebuild nnkit` (it compiles the addon when no prebuild matches this platform).',
      '- Building from source needs python3, make and a C++17 compiler (g++ or clang++): install them, then `npm rebuild nnkit`.',
      '- In a clone of the repository: `npm install` (or `npm run build:gyp`) builds build/Release/nnkit.node.',
      `- Platform ${tag} with Node ${process.versions.node}; set NNKIT_PREBUILD to a folder holding a matching build to override.`,
    ].join('\n'));
  }
}

export const native: NativeBinding = load();
