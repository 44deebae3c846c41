import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDigits } from '../lib/data/datasets';
import { split } from '../lib/data/split';
import { init } from '../lib/initializers';
import { dense } from '../lib/layers/dense';
import { dropout } from '../lib/layers/dropout';
import { Sequential } from '../lib/models/sequential';
import { optim } from '../lib/optimizers';
import { preprocess } from '../lib/preprocess';
import { schedule } from '../lib/schedules';
import { train } from '../lib/trainer';
import { DIAGNOSIS_EXPLODED, DIAGNOSIS_TOO_LOW } from '../lib/train_loop';
import { readCifar } from './helpers/data';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-train-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function net(inputSize: number, options: { dropout?: boolean; seed?: number } = {}) {
  return new Sequential({
    inputSize,
    layers: [
      dense(50, { activation: 'relu', init: init.gaussian(1e-4) }),
      ...(options.dropout ? [dropout(0.3)] : []),
      dense(10, { init: init.gaussian(1e-4) }),
    ],
    loss: 'softmax',
    seed: options.seed ?? 1,
  });
}

async function digitsSplit() {
  return split(await loadDigits(), { valFraction: 0.2, seed: 1 });
}

const hasNaN = (a: Float32Array) => a.some((v) => !Number.isFinite(v));
const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('train: the lecture\'s learning-rate diagnostics', () => {
  it('lr 1e-6: training runs, the diagnosis says the rate is too low', async () => {
    const { x, y } = readCifar(1000);
    const r = await train(net(3072), { xTrain: x, yTrain: y }, { epochs: 4, learningRate: 1e-6, preprocess: [preprocess.center()] });
    expect(r.stopReason).toBe('completed');
    expect(r.diagnosis).toBe(DIAGNOSIS_TOO_LOW);
    expect(r.diagnosis).toBe('loss barely changing: learning rate is probably too low');
  });

  it('lr 1e6: stopped within the first epoch, no NaN in the best model', async () => {
    const { x, y } = readCifar(1000);
    const r = await train(net(3072), { xTrain: x.slice(0, 800 * 3072), yTrain: y.slice(0, 800), xVal: x.slice(800 * 3072), yVal: y.slice(800) },
      { epochs: 10, learningRate: 1e6, preprocess: [preprocess.center()] });
    expect(['exploded', 'nan']).toContain(r.stopReason);
    expect(r.diagnosis).toBe(DIAGNOSIS_EXPLODED);
    expect(r.diagnosis).toBe('cost exploded: learning rate is probably too high');
    expect(r.stats.lossHistory.length).toBeLessThanOrEqual(8); // one epoch is 8 iterations
    expect(r.stats.valAccHistory).toHaveLength(0);
    expect(hasNaN(r.bestModel.params)).toBe(false);
    expect(r.bestModel.params).toEqual(net(3072).params); // no epoch ended: the initial parameters
  });

  it('a good rate gets no diagnosis', async () => {
    const r = await train(net(64), await digitsSplit(), { epochs: 4, learningRate: 5e-2, preprocess: [preprocess.center()] });
    expect(r.stopReason).toBe('completed');
    expect(r.diagnosis).toBeNull();
  });
});

describe('train: jobs', () => {
  it('signal.abort() stops within one iteration with the best model so far', async () => {
    const data = await digitsSplit();
    const controller = new AbortController();
    let iterationAtAbort = -1;
    const r = await train(net(64), data, {
      epochs: 1000, batchSize: 10, learningRate: 1e-2, signal: controller.signal,
      onEpoch: ({ epoch }) => {
        if (epoch === 2) controller.abort();
      },
      onProgress: ({ iteration }) => {
        if (controller.signal.aborted && iterationAtAbort < 0) iterationAtAbort = iteration;
      },
    });
    expect(r.stopReason).toBe('aborted');
    expect(r.stats.valAccHistory.length).toBeGreaterThanOrEqual(2);
    expect(r.stats.valAccHistory.length).toBeLessThan(1000);
    expect(r.bestValAcc).toBe(Math.max(...r.stats.valAccHistory));
    const pre = await train(net(64), data, { epochs: 1, signal: AbortSignal.abort() });
    expect(pre.stopReason).toBe('aborted');
    expect(pre.stats.lossHistory).toHaveLength(0);
  });

  it('several train() calls in one process run independently and give what they give alone', async () => {
    const data = await digitsSplit();
    const opts = (seed: number) => ({ epochs: 3, learningRate: 1e-2, seed, threads: 1 });
    const alone = [await train(net(64, { dropout: true }), data, opts(1)), await train(net(64, { seed: 2 }), data, opts(2))];
    const together = await Promise.all([train(net(64, { dropout: true }), data, opts(1)), train(net(64, { seed: 2 }), data, opts(2))]);
    for (let i = 0; i < 2; i++) {
      expect(same(together[i].model.params, alone[i].model.params)).toBe(true);
      expect(together[i].stats.lossHistory).toEqual(alone[i].stats.lossHistory);
    }
    expect(same(together[0].model.params, together[1].model.params)).toBe(false);
  });

  (process.platform === 'linux' ? it : it.skip)('the training thread runs in the SCHED_IDLE class, the main thread does not', async () => {
    const data = await digitsSplit();
    const policies = () => fs.readdirSync('/proc/self/task').map((tid) => {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
      return { tid: Number(tid), policy: Number(fields[41 - 3]) }; // field 41: scheduling policy
    });
    let during: Array<{ tid: number; policy: number }> = [];
    await train(net(64), data, { epochs: 3, onEpoch: ({ epoch }) => {
      if (epoch === 1) during = policies();
    } });
    const SCHED_IDLE = 5;
    expect(during.some((t) => t.policy === SCHED_IDLE)).toBe(true);
    expect(during.find((t) => t.tid === process.pid)?.policy).toBe(0);
  });

  it('reports progress and epochs to callbacks; the caller\'s model and data are untouched', async () => {
    const data = await digitsSplit();
    const model = net(64);
    const before = model.params.slice();
    const xBefore = data.xTrain.slice();
    const epochs: number[] = [];
    const progress: number[] = [];
    const r = await train(model, data, {
      epochs: 2, batchSize: 50, onEpoch: (e) => epochs.push(e.epoch), onProgress: (p) => progress.push(p.iteration),
    });
    expect(epochs).toEqual([1, 2]);
    expect(progress[progress.length - 1]).toBe(r.stats.lossHistory.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(same(model.params, before)).toBe(true);
    expect(same(data.xTrain, xBefore)).toBe(true);
  });

  it('optimizer and schedule options override update and decay', async () => {
    const data = await digitsSplit();
    const lrs: number[] = [];
    const r = await train(net(64), data, {
      epochs: 5, learningRate: 1e-2, optimizer: optim.adam(), schedule: schedule.cosine(5 * 14, 0), onEpoch: (e) => lrs.push(e.lr),
    });
    expect(r.bestValAcc).toBeGreaterThan(0.8);
    expect(lrs[4]).toBe(0); // cosine reaches minLr at the end
    expect(lrs[0]).toBeCloseTo(1e-2 * 0.5 * (1 + Math.cos(Math.PI / 5)), 12);
  });

  it('mse: real targets, the best model by validation loss', async () => {
    const data = await digitsSplit();
    const oneHot = (y: Int32Array) => {
      const t = new Float32Array(y.length * 10);
      y.forEach((c, i) => (t[i * 10 + c] = 1));
      return t;
    };
    const model = new Sequential({ inputSize: 64, layers: [dense(30, { activation: 'tanh' }), dense(10)], loss: 'mse', seed: 1 });
    const r = await train(model, { xTrain: data.xTrain, yTrain: oneHot(data.yTrain), xVal: data.xVal, yVal: oneHot(data.yVal) },
      { epochs: 5, learningRate: 1e-2, preprocess: [preprocess.standardize()] });
    expect(Number.isNaN(r.bestValAcc)).toBe(true);
    expect(r.bestValLoss).toBe(Math.min(...r.stats.valLossHistory));
    expect(r.bestValLoss).toBeLessThan(r.stats.valLossHistory[0] + 1e-12);
    expect(r.bestModel.evaluate(data.xVal, oneHot(data.yVal)).loss).toBeCloseTo(r.bestValLoss, 6);
  });
});

describe('train: preprocessing travels with the model', () => {
  it('center(): fitted on train only, applied once by predict/evaluate, saved in the model file', async () => {
    const data = await digitsSplit();
    const r = await train(net(64), data, { epochs: 3, learningRate: 1e-2, preprocess: [preprocess.center()] });
    const steps = r.bestModel.preprocess;
    expect(steps.map((s) => s.name)).toEqual(['center']);
    const mean = new Float64Array(64);
    for (let i = 0; i < data.xTrain.length; i++) mean[i % 64] += data.xTrain[i] / data.yTrain.length;
    expect(Array.from(steps[0].state.mean)).toEqual(Array.from(Float32Array.from(mean)));
    // evaluate on raw input = the recorded validation accuracy (preprocessing applied exactly once)
    expect(r.bestModel.evaluate(data.xVal, data.yVal).accuracy).toBe(r.bestValAcc);
    const file = path.join(tmp, 'centered.nnk');
    await r.bestModel.save(file);
    const back = await Sequential.load(file);
    expect(back.preprocess.map((s) => s.name)).toEqual(['center']);
    expect(same(back.predict(data.xVal), r.bestModel.predict(data.xVal))).toBe(true);
    // training a trained model again reuses its fitted preprocessing on raw data
    const again = await train(back, data, { epochs: 1, learningRate: 1e-3 });
    expect(again.model.preprocess[0].state.mean).toEqual(steps[0].state.mean);
  });
});

describe('train: checkpoints', () => {
  const script = (file: string, epochs: number) => `
    const nn = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.js'))});
    (async () => {
      const data = nn.split(await nn.loadDigits(), { valFraction: 0.2, seed: 1 });
      const model = new nn.Sequential({ inputSize: 64, layers: [nn.dense(50, { activation: 'relu', init: nn.init.gaussian(1e-4) }), nn.dropout(0.2), nn.dense(10, { init: nn.init.gaussian(1e-4) })], seed: 1 });
      await nn.train(model, data, { epochs: ${epochs}, batchSize: 20, learningRate: 1e-2, update: 'adam', seed: 7, threads: 1,
        checkpoint: ${JSON.stringify(file)}, onEpoch: (e) => process.stdout.write('epoch ' + e.epoch + '\\n') });
    })();`;

  it('a job killed mid-epoch resumes from its last epoch end and ends as the uninterrupted run does', async () => {
    const file = path.join(tmp, 'job.ckpt');
    const epochs = 400;
    const child = spawn(process.execPath, ['-e', script(file, epochs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = 0;
    await new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => {
      seen = Math.max(seen, ...String(b).trim().split('\n').map((l) => Number(l.split(' ')[1])));
      if (seen >= 3) resolve();
    }));
    await new Promise((r) => setTimeout(r, 7)); // into the next epoch
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const data = await digitsSplit();
    const model = () => new Sequential({ inputSize: 64, layers: [dense(50, { activation: 'relu', init: init.gaussian(1e-4) }), dropout(0.2), dense(10, { init: init.gaussian(1e-4) })], seed: 1 });
    const options = { epochs, batchSize: 20, learningRate: 1e-2, update: 'adam' as const, seed: 7, threads: 1 };
    const saved = await Sequential.load(file); // a checkpoint is a loadable model file
    expect(saved.params.length).toBe(model().params.length);
    const resumed = await train(model(), data, { ...options, checkpoint: file, resume: true });
    expect(resumed.resumedFromEpoch).toBeGreaterThanOrEqual(3);
    expect(resumed.resumedFromEpoch).toBeLessThan(epochs);
    const straight = await train(model(), data, options);
    expect(same(resumed.model.params, straight.model.params)).toBe(true);
    expect(same(resumed.bestModel.params, straight.bestModel.params)).toBe(true);
    expect(resumed.stats.lossHistory).toEqual(straight.stats.lossHistory);
    expect(resumed.bestValAcc).toBe(straight.bestValAcc);
  }, 120000);

  it('resume refuses a checkpoint of another model', async () => {
    const file = path.join(tmp, 'other.ckpt');
    const data = await digitsSplit();
    await train(net(64), data, { epochs: 1, checkpoint: file });
    const other = new Sequential({ inputSize: 64, layers: [dense(20), dense(10)] });
    await expect(train(other, data, { epochs: 2, checkpoint: file, resume: true })).rejects.toMatchObject({
      code: 'NNKIT_ERR_MODEL_FILE', message: `Expected the model being trained for checkpoint '${file}' but received a checkpoint of another model`,
    });
  });
});
