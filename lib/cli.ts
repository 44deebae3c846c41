#!/usr/bin/env node
/**
 * The nnkit command line: `demo` (the main job), `train`, `eval`.
 * Exit codes: 0 when the command ran (for train: whatever its stopReason), 2 for bad arguments
 * or data (the coded error's message on stderr), 1 otherwise.
 */
import { NnError } from './errors';
import { fmtE, fmtF } from './format';

const USAGE = `Usage: nnkit <command> [flags]

Commands:
  demo [--epochs N] [--seed N]   train the lecture's two-layer net on the bundled 8x8 digits
  train --data PATH [flags]      train a fully connected net (flags below; defaults shown)
  eval --model FILE --data PATH [--labels PATH] [--label-column N] [--json]
                                 accuracy and data loss of a saved model
  help                           show this text
  version                        print nnkit's version and the kernel path in use

train flags:
  --data PATH            CIFAR-10 .bin, IDX images file (with --labels), CSV (.gz ok), or 'digits'
  --labels PATH          IDX labels file for an IDX --data
  --label-column N       CSV label column (negative counts from the end)      [-1]
  --val PATH             validation data (same kind as --data), or
  --val-labels PATH      its IDX labels
  --val-split F          fraction of --data held out when there is no --val    [0.25]
  --hidden 50[,50...]    hidden layer widths                                   [50]
  --activation NAME      relu|leakyRelu|tanh|sigmoid|linear                     [relu]
  --init NAME            xavier|gaussian:STD|he|glorotUniform|glorotNormal|orthogonal [xavier]
  --epochs N             [10]      --batch N        [100]
  --update NAME          sgd|momentum|nesterov|adagrad|rmsprop|adam             [momentum]
  --momentum F           [0.9]     --lr F           [1e-3]     --lr-decay F     [0.95]
  --reg F                L2 strength                                            [1e-4]
  --dropout F            drop rate after each hidden layer (0: none)            [0.5]
  --preprocess NAME      center|standardize|pca:K|whiten|none                   [center]
  --seed N               [1]       --threads N      [0: the process default]
  --save FILE            save the best model (.nnk)
  --json                 print one JSON object on stdout at the end; progress goes to stderr`;

type Flags = Record<string, string | true>;

const BOOLEAN_FLAGS = new Set(['json']);

function argError(message: string): NnError {
  return new NnError('NNKIT_ERR_ARG', message);
}

function parseFlags(args: string[], allowed: readonly string[]): Flags {
  const out: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !allowed.includes(name)) {
      throw argError(`Expected one of ${allowed.map((a) => `--${a}`).join(', ')} for flag but received '${flag}'`);
    }
    if (name in out) throw argError(`Expected each flag once for --${name} but received it twice`);
    if (BOOLEAN_FLAGS.has(name)) {
      out[name] = true;
      continue;
    }
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) throw argError(`Expected a value for --${name} but received nothing`);
    out[name] = value;
    i++;
  }
  return out;
}

function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

function int(flags: Flags, name: string, fallback: number, min: number): number {
  const raw = str(flags, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min) {
    throw argError(`Expected ${min === 0 ? 'non-negative' : min === 1 ? 'positive' : ''} integer for --${name} but received '${raw}'`.replace('  ', ' '));
  }
  return v;
}

function signedInt(flags: Flags, name: string, fallback: number): number {
  const raw = str(flags, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v)) throw argError(`Expected integer for --${name} but received '${raw}'`);
  return v;
}

function float(flags: Flags, name: string, fallback: number, check: (v: number) => boolean, what: string): number {
  const raw = str(flags, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw argError(`Expected ${what} for --${name} but received '${raw}'`);
  return v;
}

const TRAIN_FLAGS = ['data', 'labels', 'label-column', 'val', 'val-labels', 'val-split', 'hidden', 'activation', 'init', 'epochs', 'batch',
  'update', 'momentum', 'lr', 'lr-decay', 'reg', 'dropout', 'preprocess', 'seed', 'threads', 'save', 'json'] as const;

async function trainCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, TRAIN_FLAGS);
  const json = flags.json === true;
  const data = str(flags, 'data');
  if (data === undefined) throw argError("Expected a data file or 'digits' for --data but received nothing");
  const labelColumn = signedInt(flags, 'label-column', -1);
  const hiddenRaw = str(flags, 'hidden') ?? '50';
  const hidden = hiddenRaw.split(',').map((h) => {
    const v = Number(h);
    if (h.trim() === '' || !Number.isInteger(v) || v < 1) throw argError(`Expected comma-separated positive integers for --hidden but received '${hiddenRaw}'`);
    return v;
  });
  const activations = ['relu', 'leakyRelu', 'tanh', 'sigmoid', 'linear'] as const;
  const activation = str(flags, 'activation') ?? 'relu';
  if (!(activations as readonly string[]).includes(activation)) {
    throw argError(`Expected one of ${activations.join(', ')} for --activation but received '${activation}'`);
  }
  const epochs = int(flags, 'epochs', 10, 1);
  const batchSize = int(flags, 'batch', 100, 1);
  const updates = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'] as const;
  const update = str(flags, 'update') ?? 'momentum';
  if (!(updates as readonly string[]).includes(update)) throw argError(`Expected one of ${updates.join(', ')} for --update but received '${update}'`);
  const momentum = float(flags, 'momentum', 0.9, (v) => v >= 0 && v < 1, 'number in [0, 1)');
  const lr = float(flags, 'lr', 1e-3, (v) => v > 0, 'positive number');
  const lrDecay = float(flags, 'lr-decay', 0.95, (v) => v > 0, 'positive number');
  const reg = float(flags, 'reg', 1e-4, (v) => v >= 0, 'non-negative number');
  const dropoutRate = float(flags, 'dropout', 0.5, (v) => v >= 0 && v < 1, 'number in [0, 1)');
  const valSplit = float(flags, 'val-split', 0.25, (v) => v > 0 && v < 1, 'number in (0, 1)');
  const seed = int(flags, 'seed', 1, 0);
  const threads = int(flags, 'threads', 0, 0);
  const pre = str(flags, 'preprocess') ?? 'center';
  const pcaMatch = /^pca:(\d+)$/.exec(pre);
  if (!['center', 'standardize', 'whiten', 'none'].includes(pre) && (pcaMatch === null || Number(pcaMatch[1]) < 1)) {
    throw argError(`Expected one of center, standardize, pca:K, whiten, none for --preprocess but received '${pre}'`);
  }
  if (str(flags, 'val-labels') !== undefined && str(flags, 'val') === undefined) throw argError("Expected --val beside it for --val-labels but received no --val");
  if (str(flags, 'val') !== undefined && str(flags, 'val-split') !== undefined) throw argError("Expected either --val or --val-split for validation but received both");

  const { initFromFlag, loadAny } = await import('./cli_data');
  const initializer = initFromFlag(str(flags, 'init') ?? 'xavier');
  const { split } = await import('./data/split');
  const { dense } = await import('./layers/dense');
  const { dropout } = await import('./layers/dropout');
  const { Sequential } = await import('./models/sequential');
  const { preprocess } = await import('./preprocess');
  const { train } = await import('./trainer');

  const all = await loadAny(data, { labels: str(flags, 'labels'), labelColumn });
  let sets: { xTrain: Float32Array; yTrain: Int32Array; xVal: Float32Array; yVal: Int32Array };
  let classes = all.classes;
  if (str(flags, 'val') !== undefined) {
    const val = await loadAny(str(flags, 'val') as string, { labels: str(flags, 'val-labels'), labelColumn });
    if (val.features !== all.features) {
      throw new NnError('NNKIT_ERR_DATA', `Expected ${all.features} features (as --data) for --val but received ${val.features}`);
    }
    classes = Math.max(classes, val.classes);
    sets = { xTrain: all.x, yTrain: all.y, xVal: val.x, yVal: val.y };
  } else {
    sets = split(all, { valFraction: valSplit, seed });
  }

  const layers = [];
  for (const h of hidden) {
    layers.push(dense(h, { activation: activation as (typeof activations)[number], init: initializer }));
    if (dropoutRate > 0) layers.push(dropout(dropoutRate));
  }
  layers.push(dense(classes, { init: initializer }));
  // the model's input is the preprocessing's output: k axes for pca:K, up to 256 for whiten
  let step;
  let inputSize = all.features;
  if (pre === 'center') step = preprocess.center();
  else if (pre === 'standardize') step = preprocess.standardize();
  else if (pre === 'whiten') {
    step = preprocess.whiten();
    inputSize = Math.min(all.features, 256);
  } else if (pcaMatch !== null) {
    inputSize = Number(pcaMatch[1]);
    if (inputSize > all.features) throw argError(`Expected K <= the ${all.features} features of the data for --preprocess but received '${pre}'`);
    step = preprocess.pca(inputSize);
  }
  const model = new Sequential({ inputSize, layers, loss: 'softmax', seed });

  const log = (line: string) => (json ? process.stderr.write(line + '\n') : process.stdout.write(line + '\n'));
  const bar = process.stderr.isTTY ? new ProgressBar() : null;
  const epochsOut: Array<{ epoch: number; cost: number | null; trainAcc: number | null; valAcc: number | null; lr: number }> = [];
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let result;
  try {
    result = await train(model, sets, {
      epochs, batchSize, update: update as (typeof updates)[number], momentum, learningRate: lr, learningRateDecay: lrDecay, reg, seed, threads,
      preprocess: step === undefined ? undefined : [step],
      signal: controller.signal,
      onProgress: bar === null ? undefined : (p) => bar.update(p.iteration, p.iterations, p.epoch, epochs, p.cost),
      onEpoch: (e) => {
        bar?.clear();
        log(`Finished epoch ${e.epoch} / ${e.epochs}: cost ${fmtF(e.cost)}, train: ${fmtF(e.trainAcc)}, val ${fmtF(e.valAcc)}, lr ${fmtE(e.lr)}`);
        epochsOut.push({ epoch: e.epoch, cost: finite(e.cost), trainAcc: finite(e.trainAcc), valAcc: finite(e.valAcc), lr: e.lr });
      },
    });
  } finally {
    bar?.clear();
    process.removeListener('SIGINT', onSigint);
  }
  log(`finished optimization. best validation accuracy: ${fmtF(result.bestValAcc)}`);
  if (result.diagnosis !== null) log(`diagnosis: ${result.diagnosis}`);
  const save = str(flags, 'save');
  if (save !== undefined) {
    await result.bestModel.save(save);
    log(`saved the best model to ${save}`);
  }
  if (json) {
    process.stdout.write(JSON.stringify({
      bestValAcc: finite(result.bestValAcc), stopReason: result.stopReason, diagnosis: result.diagnosis, epochs: epochsOut,
      samplesPerSec: result.samplesPerSec,
    }) + '\n');
  }
  return 0;
}

async function evalCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, ['model', 'data', 'labels', 'label-column', 'json']);
  const modelPath = str(flags, 'model');
  if (modelPath === undefined) throw argError('Expected a model file for --model but received nothing');
  const data = str(flags, 'data');
  if (data === undefined) throw argError("Expected a data file or 'digits' for --data but received nothing");
  const labelColumn = signedInt(flags, 'label-column', -1);
  const { loadAny } = await import('./cli_data');
  const { Sequential } = await import('./models/sequential');
  const model = await Sequential.load(modelPath);
  const set = await loadAny(data, { labels: str(flags, 'labels'), labelColumn });
  if (set.features !== model.rawInputSize) {
    throw new NnError('NNKIT_ERR_DATA', `Expected ${model.rawInputSize} features (the model's input) for --data but received ${set.features}`);
  }
  const r = model.evaluate(set.x, set.y);
  if (flags.json === true) process.stdout.write(JSON.stringify({ accuracy: finite(r.accuracy), loss: finite(r.loss), n: r.n }) + '\n');
  else process.stdout.write(`accuracy ${fmtF(r.accuracy)}, loss ${fmtF(r.loss)}, n ${r.n}\n`);
  return 0;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** A one-line progress bar on stderr (TTY only): position in the epoch, cost, rate, ETA of the run. */
class ProgressBar {
  private start = 0;
  private first = -1;

  update(iteration: number, iterations: number, epoch: number, epochs: number, cost: number): void {
    if (this.first < 0) {
      this.first = iteration;
      this.start = Date.now();
    }
    const perEpoch = iterations / epochs;
    const inEpoch = iteration - (epoch - 1) * perEpoch;
    const width = 30;
    const done = Math.round((width * inEpoch) / perEpoch);
    const seconds = (Date.now() - this.start) / 1000;
    const rate = seconds > 0 ? (iteration - this.first) / seconds : 0;
    const eta = rate > 0 ? (iterations - iteration) / rate : 0;
    process.stderr.write(`\repoch ${epoch}/${epochs} [${'='.repeat(done)}${' '.repeat(width - done)}] ${inEpoch}/${perEpoch} cost ${fmtF(cost)} ${rate.toFixed(1)} it/s ETA ${eta.toFixed(0)}s\x1b[K`);
  }

  clear(): void {
    process.stderr.write('\r\x1b[K');
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'demo': {
      const flags = parseFlags(rest, ['epochs', 'seed']);
      const { runDemo } = await import('./demo');
      await runDemo({ epochs: int(flags, 'epochs', 10, 1), seed: int(flags, 'seed', 1, 0), verbose: true });
      return 0;
    }
    case 'train':
      return trainCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'version':
    case '--version': {
      const { linalg } = await import('./linalg');
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      console.log(`nnkit ${require('../package.json').version} (kernels: ${linalg.isa})`);
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw argError(`Expected a command (demo, train, eval, help, version) but received '${command}'\n\n${USAGE}`);
  }
}

const USER_ERRORS = new Set(['NNKIT_ERR_ARG', 'NNKIT_ERR_DATA', 'NNKIT_ERR_SHAPE', 'NNKIT_ERR_LABEL', 'NNKIT_ERR_MODEL_FILE']);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as Error & { code?: string };
    console.error(`nnkit: ${e.message}`);
    process.exitCode = e instanceof NnError && USER_ERRORS.has(e.code) ? 2 : 1;
  },
);
