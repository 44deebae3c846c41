#!/usr/bin/env node
/*
 * npm run bench:train [-- --json] [--quick]
 *
 * Training throughput: samples through forward, backward and update per second of training time
 * (evaluation excluded), for the lecture's two-layer net (3072-50-10, batch 100) and an MLP
 * (784-512-512-10, batch 128). nnkit runs through train() (the worker-thread loop, minibatch
 * sampling included) with 1 and 2 kernel threads, three timed runs each, the thread settings
 * alternated: the figure is the median, printed with the three runs, each with the bound below
 * (products alone) measured briefly right after it and the cross-core round trip (where a VM's
 * host has put the two vCPUs: far apart, 2-thread training loses up to a quarter). The same
 * models are trained with @tensorflow/tfjs (a devDependency: its pure-JS 'cpu' backend and its
 * 'wasm' backend) in the same run, with plain SGD + momentum on the same batch shapes, and the
 * ratios are printed.
 * Inputs are the real CIFAR-10 / MNIST subsets when ../shared/data is there, else random data
 * of the same shapes (the speed does not depend on the values).
 * Each nnkit figure comes with bounds measured in the same run: the samples/s of the
 * iteration's matrix products alone (timed hot, in a native loop, at that thread count), the
 * samples/s at 100% of the FMA peak, and the iteration without the optimizer's update (an
 * in-process loop of computeGradients, alternated with the same loop with the update as train()
 * takes it): what no tuning of the update could exceed.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const { median } = require('./bench/stats');
const nn = require(path.join(ROOT, 'dist', 'index.js'));
const { native } = require(path.join(ROOT, 'dist', 'native.js'));

const args = process.argv.slice(2);
const JSON_OUT = args.includes('--json');
const QUICK = args.includes('--quick');
const SECONDS = QUICK ? 0.8 : 2;
const ROUNDS = QUICK ? 1 : 3;
const TARGETS = { 'two-layer': 420000, mlp: 105000 };

const MODELS = [
  { name: 'two-layer', input: 3072, hidden: [50], classes: 10, batch: 100, rows: 3000 },
  { name: 'mlp', input: 784, hidden: [512, 512], classes: 10, batch: 128, rows: 8000 },
];

function log(line) {
  if (JSON_OUT) process.stderr.write(line + '\n');
  else console.log(line);
}

function dataFor(m) {
  const shared = path.join(ROOT, '..', 'shared', 'data');
  const x = new Float32Array(m.rows * m.input);
  const y = new Int32Array(m.rows);
  let source = 'random';
  try {
    if (m.input === 3072) {
      const buf = fs.readFileSync(path.join(shared, 'cifar10-subset', 'train_4000.bin'));
      for (let i = 0; i < m.rows; i++) {
        y[i] = buf[i * 3073];
        for (let j = 0; j < 3072; j++) x[i * 3072 + j] = (buf[i * 3073 + 1 + j] - 128) / 64;
      }
      source = 'CIFAR-10 subset';
    } else {
      const zlib = require('zlib');
      const img = zlib.gunzipSync(fs.readFileSync(path.join(shared, 'mnist', 'mnist-train-first10k-images-idx3-ubyte.gz')));
      const lbl = zlib.gunzipSync(fs.readFileSync(path.join(shared, 'mnist', 'mnist-train-first10k-labels-idx1-ubyte.gz')));
      for (let i = 0; i < m.rows * 784; i++) x[i] = img[16 + i] / 255 - 0.5;
      for (let i = 0; i < m.rows; i++) y[i] = lbl[8 + i];
      source = 'MNIST subset';
    }
  } catch {
    let s = 1;
    for (let i = 0; i < x.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      x[i] = s / 2 ** 32 - 0.5;
    }
    for (let i = 0; i < m.rows; i++) y[i] = i % m.classes;
  }
  return { x, y, source };
}

/** The benchmarked net: ReLU hidden layers (He init) and a linear output layer. */
function makeModel(m) {
  const layers = m.hidden.map((h) => nn.dense(h, { activation: 'relu', init: nn.init.he() }));
  layers.push(nn.dense(m.classes));
  return new nn.Sequential({ inputSize: m.input, layers, seed: 1 });
}

/**
 * The round trip of a value between two threads spinning on shared memory (the main thread and a
 * worker), in ns. On a VM, how far apart the host has put the two vCPUs: about 80-175 ns here when
 * they are close, about 390-430 ns when they are far apart, and then data that one core writes
 * and the other reads costs far more (a C++ ping-pong between pinned threads: 60-150 / 370-430 ns).
 */
function crossCoreRoundTripNs(iters = 100000) {
  const { Worker } = require('worker_threads');
  const flag = new Int32Array(new SharedArrayBuffer(64));
  const src = `const { workerData } = require('worker_threads');
    const f = new Int32Array(workerData.sab);
    for (let i = 0; i < workerData.iters; i++) {
      while (Atomics.load(f, 0) !== 2 * i + 1);
      Atomics.store(f, 0, 2 * i + 2);
    }`;
  return new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { sab: flag.buffer, iters } });
    w.on('error', reject);
    w.on('online', () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) {
        Atomics.store(flag, 0, 2 * i + 1);
        while (Atomics.load(flag, 0) !== 2 * i + 2);
      }
      const ns = Number(process.hrtime.bigint() - t0) / iters;
      w.terminate().then(() => resolve(ns), reject);
    });
  });
}

/**
 * train()'s samples/s at each thread count: a warm-up run and a probe (to size the timed runs) per
 * setting, then ROUNDS timed runs, the settings alternated round by round so that a slow phase of
 * the machine (a VM's vCPUs placed far apart) falls on both; the median is the figure, printed
 * with the runs.
 */
async function benchNnkit(m, data, threadCounts) {
  const model = makeModel(m);
  const itersPerEpoch = Math.floor(m.rows / m.batch);
  const epochs = {};
  for (const threads of threadCounts) {
    // one short run to warm up (worker start, page faults), then a probe to size the timed runs
    await nn.train(model, { xTrain: data.x, yTrain: data.y }, { epochs: 1, batchSize: m.batch, learningRate: 1e-3, threads });
    const probe = await nn.train(model, { xTrain: data.x, yTrain: data.y }, { epochs: 2, batchSize: m.batch, learningRate: 1e-3, threads });
    epochs[threads] = Math.max(2, Math.ceil(SECONDS / ((itersPerEpoch * m.batch) / probe.samplesPerSec)));
  }
  const runs = Object.fromEntries(threadCounts.map((t) => [t, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of threadCounts) {
      const r = await nn.train(model, { xTrain: data.x, yTrain: data.y }, { epochs: epochs[threads], batchSize: m.batch, learningRate: 1e-3, reg: 1e-4, threads });
      // the products-alone bound right after the run: where the machine was (a VM's 2-thread
      // rate moves between phases of a few seconds)
      runs[threads].push({
        samplesPerSec: r.samplesPerSec,
        productsAlone: bounds(m, threads, 0, 0.03).gemm,
        crossCoreNs: await crossCoreRoundTripNs(),
      });
    }
  }
  return Object.fromEntries(threadCounts.map((t) => [`${t}T`, { median: median(runs[t].map((r) => r.samplesPerSec)), runs: runs[t] }]));
}

/**
 * What this machine allows, measured in this run: the samples/s an iteration would reach if it were
 * only its matrix products, each timed hot (operands in cache) in a native loop at this thread count,
 * with no sampling, activations, loss, bias or update; and at 100% of the FMA peak.
 */
function bounds(m, threads, peakGflops, secondsPerProduct = QUICK ? 0.05 : 0.2) {
  const widths = [m.input, ...m.hidden, m.classes];
  const products = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const i = widths[l], o = widths[l + 1], b = m.batch;
    products.push([false, false, b, o, i]); // Y = X·W
    products.push([true, false, i, o, b]); // dW = Xᵀ·dZ
    if (l > 0) products.push([false, true, b, i, o]); // dX = dZ·Wᵀ
  }
  let seconds = 0;
  let flops = 0;
  for (const [ta, tb, M, N, K] of products) {
    const a = new Float32Array(M * K).fill(0.5);
    const bm = new Float32Array(K * N).fill(0.25);
    const c = new Float32Array(M * N);
    seconds += native.sgemmBench(ta, tb, M, N, K, a, ta ? M : K, bm, tb ? K : N, c, N, threads, secondsPerProduct);
    flops += 2 * M * N * K;
  }
  return { gemm: m.batch / seconds, peak: (m.batch * peakGflops * threads * 1e9) / flops, flopsPerSample: flops / m.batch };
}

/**
 * samples/s of an in-process training loop (a sampled batch, momentum's step taken inside the
 * backward pass, as train() does) at this thread count, and of the same loop without the update
 * (computeGradients alone), alternated in rounds.
 */
function updateBound(m, data, threads) {
  const model = makeModel(m);
  model.threads = threads;
  const opt = nn.optim.momentum(0.9);
  const rows = new Int32Array(m.batch);
  const y = new Int32Array(m.batch);
  let seed = 3;
  const time = { with: 0, without: 0 };
  const iters = { with: 0, without: 0 };
  const roundSeconds = QUICK ? 0.1 : 0.3;
  for (let round = 0; round < 8; round++) {
    const mode = round % 2 === 0 ? 'with' : 'without';
    const t0 = performance.now();
    let n = 0;
    do {
      for (let i = 0; i < m.batch; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        rows[i] = seed % m.rows;
        y[i] = data.y[rows[i]];
      }
      const o = { defaultL2: 1e-4, rows };
      if (mode === 'with') {
        // as train() takes it: inside the backward pass
        model.forwardLoss(data.x, y, m.batch, o);
        model.backwardUpdate(m.batch, o, opt.fused(model.params, 1e-3));
      } else {
        model.computeGradients(data.x, y, m.batch, o);
      }
      n++;
    } while (performance.now() - t0 < roundSeconds * 1000);
    if (round >= 2) {
      // the first round of each mode warms up
      time[mode] += performance.now() - t0;
      iters[mode] += n;
    }
  }
  return { withUpdate: (iters.with * m.batch * 1000) / time.with, noUpdate: (iters.without * m.batch * 1000) / time.without };
}

async function benchTfjs(tf, backend, m, data) {
  await tf.setBackend(backend);
  await tf.ready();
  const model = tf.sequential();
  m.hidden.forEach((h, i) => model.add(tf.layers.dense({ units: h, activation: 'relu', inputShape: i === 0 ? [m.input] : undefined, kernelInitializer: 'heNormal' })));
  model.add(tf.layers.dense({ units: m.classes }));
  const optimizer = tf.train.momentum(1e-3, 0.9);
  const xs = tf.tensor2d(data.x, [m.rows, m.input]);
  const ys = tf.oneHot(tf.tensor1d(data.y, 'int32'), m.classes).toFloat();
  let seed = 7;
  const step = () => {
    // minibatch sampling with replacement, as nnkit's trainer does
    const idx = new Int32Array(m.batch);
    for (let i = 0; i < m.batch; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      idx[i] = seed % m.rows;
    }
    tf.tidy(() => {
      const ix = tf.tensor1d(idx, 'int32');
      const xb = tf.gather(xs, ix);
      const yb = tf.gather(ys, ix);
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, model.apply(xb)), true);
      cost.dataSync();
    });
  };
  for (let i = 0; i < 3; i++) step();
  let iters = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    step();
    iters++;
  }
  const seconds = (performance.now() - t0) / 1000;
  xs.dispose();
  ys.dispose();
  model.dispose();
  return (iters * m.batch) / seconds;
}

async function loadTfjs() {
  try {
    const tf = require('@tensorflow/tfjs');
    const backends = ['cpu'];
    try {
      require('@tensorflow/tfjs-backend-wasm');
      backends.push('wasm');
    } catch {
      // wasm backend not installed
    }
    return { tf, backends };
  } catch {
    return null;
  }
}

async function main() {
  log(`nnkit training throughput: ${nn.linalg.isa} kernels, ${os.cpus().length} cores, ${os.cpus()[0].model}`);
  const tfjs = await loadTfjs();
  if (tfjs === null) log('(@tensorflow/tfjs is not installed: no reference in this run)');
  // this machine's single-thread FMA peak (GFLOP/s), for the bounds printed with each result
  const peak = native.fmaPeak(QUICK ? 0.2 : 0.5);
  log(`FMA peak ${peak.toFixed(1)} GFLOP/s per thread`);
  const rows = [];
  for (const m of MODELS) {
    const data = dataFor(m);
    const shape = `${m.input}-${[...m.hidden, m.classes].join('-')}, batch ${m.batch}`;
    const entry = { model: m.name, shape, data: data.source, nnkit: {}, tfjs: {}, target: TARGETS[m.name] };
    const measured = await benchNnkit(m, data, [1, 2]);
    for (const [t, r] of Object.entries(measured)) {
      entry.nnkit[t] = r.median;
      entry.runs = { ...entry.runs, [t]: r.runs };
    }
    entry.bounds = {};
    for (const threads of [1, 2]) entry.bounds[`${threads}T`] = { ...bounds(m, threads, peak), ...updateBound(m, data, threads) };
    if (tfjs !== null) {
      for (const backend of tfjs.backends) {
        try {
          entry.tfjs[backend] = await benchTfjs(tfjs.tf, backend, m, data);
        } catch (e) {
          entry.tfjs[backend] = null;
          log(`tfjs ${backend}: ${e.message}`);
        }
      }
    }
    const best = Math.max(...Object.values(entry.nnkit));
    entry.best = best;
    const refs = Object.entries(entry.tfjs).filter(([, v]) => v);
    log(`${m.name.padEnd(9)} (${shape}, ${data.source})`);
    const fmt = (v) => Math.round(v).toLocaleString('en-US').padStart(9);
    for (const [t, v] of Object.entries(entry.nnkit)) {
      const b = entry.bounds[t];
      const runs = entry.runs[t];
      log(`  nnkit ${t}            ${fmt(v)} samples/s   (median of ${runs.length} runs)`);
      log(`                                           runs: ${runs.map((x) => fmt(x.samplesPerSec).trim()).join(', ')}; ` +
        `products alone right after each: ${runs.map((x) => fmt(x.productsAlone).trim()).join(', ')}; ` +
        `cross-core round trip: ${runs.map((x) => `${Math.round(x.crossCoreNs)} ns`).join(', ')}`);
      log(`                                           ${(v / b.gemm).toFixed(2)} of its products alone, hot: ${fmt(b.gemm).trim()}; ` +
        `FMA peak bound ${fmt(b.peak).trim()}`);
      log(`                                           without the optimizer's update: ${fmt(b.noUpdate).trim()} ` +
        `(in-process loop; with it: ${fmt(b.withUpdate).trim()})`);
    }
    for (const [b, v] of refs) log(`  tfjs ${b.padEnd(5)}          ${fmt(v)} samples/s   nnkit best / tfjs ${b}: ${(best / v).toFixed(1)}x`);
    log(`  target ${TARGETS[m.name].toLocaleString('en-US')} samples/s (best thread setting): ${best >= TARGETS[m.name] ? 'met' : `not met (${(best / TARGETS[m.name]).toFixed(2)} of it)`}`);
    rows.push(entry);
  }
  if (JSON_OUT) process.stdout.write(JSON.stringify({ isa: nn.linalg.isa, fmaPeakGflops: peak, results: rows }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
