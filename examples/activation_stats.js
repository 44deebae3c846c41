#!/usr/bin/env node
// The lecture's weight-initialization experiment: 1000 unit-Gaussian inputs of dimension 500
// through 10 tanh layers of 500 units, with 0.01 * randn weights and with Xavier initialization.
// Run after `npm install`: node examples/activation_stats.js
'use strict';
const { Sequential, dense, init, activationStats, Rng } = require('..');

const rng = new Rng(0);
const x = new Float32Array(1000 * 500).map(() => rng.gaussian());
const fmt = (v) => v.toFixed(6);
for (const [label, initializer] of [['W = 0.01 * randn(fan_in, fan_out)', init.gaussian(0.01)], ['Xavier: randn(fan_in, fan_out) / sqrt(fan_in)', init.xavier()]]) {
  const model = new Sequential({
    inputSize: 500,
    layers: Array.from({ length: 10 }, () => dense(500, { activation: 'tanh', init: initializer })),
    seed: 1,
  });
  let mean = 0;
  for (const v of x) mean += v / x.length;
  let sq = 0;
  for (const v of x) sq += (v - mean) ** 2 / x.length;
  console.log(label);
  console.log(`input layer had mean ${fmt(mean)} and std ${fmt(Math.sqrt(sq))}`);
  for (const { layer, mean: m, std } of activationStats(model, x)) console.log(`hidden layer ${layer + 1} had mean ${fmt(m)} and std ${fmt(std)}`);
}
