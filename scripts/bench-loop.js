#!/usr/bin/env node
/*
 * npm run bench:loop [-- --json]
 *
 * Trains a CIFAR-sized two-layer net (3072-50-10, batch 100, 3000 samples) with train() while
 * the main thread measures its own event-loop delay with monitorEventLoopDelay({ resolution: 1 })
 * and, to show that libuv's thread pool stays free too, the round-trip time of small fs.stat and
 * crypto.pbkdf2 calls issued every 10 ms. Prints p50/p99/max of each; the target is p99 < 5 ms.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');

const ROOT = path.join(__dirname, '..');
const nn = require(path.join(ROOT, 'dist', 'index.js'));
const JSON_OUT = process.argv.includes('--json');

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main() {
  const n = 3000;
  const d = 3072;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  let s = 1;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s >>> 24) - 128; // pixel-like values
  }
  for (let i = 0; i < n; i++) y[i] = i % 10;
  const model = new nn.Sequential({
    inputSize: d,
    layers: [nn.dense(50, { activation: 'relu', init: nn.init.gaussian(1e-4) }), nn.dense(10, { init: nn.init.gaussian(1e-4) })],
    seed: 1,
  });

  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const poolLatency = [];
  let running = true;
  const probe = async () => {
    while (running) {
      const t0 = performance.now();
      await Promise.all([
        fs.promises.stat(__filename),
        new Promise((resolve, reject) => crypto.pbkdf2('pw', 'salt', 1, 32, 'sha256', (e) => (e ? reject(e) : resolve()))),
      ]);
      poolLatency.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const t0 = performance.now();
  histogram.enable();
  const probing = probe();
  const result = await nn.train(model, { xTrain: x, yTrain: y }, { epochs: 200, batchSize: 100, learningRate: 1e-7, learningRateDecay: 1 });
  histogram.disable();
  running = false;
  await probing;
  const seconds = (performance.now() - t0) / 1000;

  const ms = (ns) => ns / 1e6;
  const out = {
    trainingSeconds: seconds,
    iterations: result.stats.lossHistory.length,
    samplesPerSec: result.samplesPerSec,
    eventLoopDelayMs: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
    threadPoolRoundTripMs: { p50: percentile(poolLatency, 50), p99: percentile(poolLatency, 99), max: Math.max(...poolLatency), samples: poolLatency.length },
    target: { p99: 5 },
  };
  const line = (label, v) => `${label} p50 ${v.p50.toFixed(2)} ms, p99 ${v.p99.toFixed(2)} ms, max ${v.max.toFixed(2)} ms`;
  const log = (l) => (JSON_OUT ? process.stderr.write(l + '\n') : console.log(l));
  log(`trained ${out.iterations} iterations (3072-50-10, batch 100) in ${seconds.toFixed(1)} s, ${Math.round(out.samplesPerSec).toLocaleString('en-US')} samples/s`);
  log(line('main-thread event-loop delay (monitorEventLoopDelay, resolution 1 ms):', out.eventLoopDelayMs));
  log(line(`libuv pool round trip (fs.stat + crypto.pbkdf2, ${poolLatency.length} probes):`, out.threadPoolRoundTripMs));
  log(`target p99 < 5 ms: ${out.eventLoopDelayMs.p99 < 5 ? 'met' : 'not met'}`);
  if (JSON_OUT) process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
