#!/usr/bin/env node
/*
 * npm run bench:gemm [-- --json] [--quick]
 *
 * nnkit's sgemm against OpenBLAS on the shapes of the kernel issue, 1 and 2 threads. nnkit is
 * timed in a native loop (no JS crossing inside the timed region). When OpenBLAS is installed
 * (apt-get install libopenblas-dev; a bench-only tool, never a dependency), a child process
 * links it and times cblas_sgemm on the same inputs, interleaved round by round with nnkit; its
 * C is checked against nnkit's. Two OpenBLAS children per thread count: its best kernel (with
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that child only) and the forced Haswell
 * (AVX2) kernel, the reference for nnkit's AVX2 path. Ratios are medians over the rounds.
 */
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const ROOT = path.join(__dirname, '..');
const { median } = require('./bench/stats');
const { native } = require(path.join(ROOT, 'dist', 'native.js'));

const args = process.argv.slice(2);
const JSON_OUT = args.includes('--json');
const QUICK = args.includes('--quick');
const ROUNDS = QUICK ? 3 : 5;
const MIN_SECONDS = QUICK ? 0.05 : 0.15;
const THREADS = [1, 2];
const TRAINING_TARGET = 1.25; // the target on training shapes: nnkit / OpenBLAS
// OpenBLAS's idle threads busy-wait for about 2^28 cycles after a call; measuring nnkit during
// that time would charge OpenBLAS's spinning to nnkit. Wait it out.
const OPENBLAS_SETTLE_MS = 250;

// [name, M, K, N, transA, transB, kind]: M x K x N as the issue writes them.
const SHAPES = [
  ['square 256', 256, 256, 256, false, false, 'square-small'],
  ['square 512', 512, 512, 512, false, false, 'square'],
  ['square 1024', 1024, 1024, 1024, false, false, 'square'],
  ['square 2048', 2048, 2048, 2048, false, false, 'square'],
  ['X·W 100x3072x50', 100, 3072, 50, false, false, 'training'],
  ['Xᵀ·dY 3072x100x50', 3072, 100, 50, true, false, 'training'],
  ['dY·Wᵀ 100x50x3072', 100, 50, 3072, false, true, 'training'],
  ['X·W 128x784x512', 128, 784, 512, false, false, 'training'],
  ['Xᵀ·dY 784x128x512', 784, 128, 512, true, false, 'training'],
  ['dY·Wᵀ 128x512x784', 128, 512, 784, false, true, 'training'],
  ['X·W 128x512x512', 128, 512, 512, false, false, 'training'],
  ['Xᵀ·dY 512x128x512', 512, 128, 512, true, false, 'training'],
  ['dY·Wᵀ 128x512x512', 128, 512, 512, false, true, 'training'],
  ['X·W 100x50x10', 100, 50, 10, false, false, 'untargeted'],
];

function fill(count, mul, mod) {
  const p = new Float32Array(count);
  for (let i = 0; i < count; i++) p[i] = ((i * mul + 3) % mod) / mod - 0.5;
  return p;
}

/** Compiles the OpenBLAS child; null when OpenBLAS (or a C compiler) is missing. */
function buildOpenblasChild(dir) {
  const exe = path.join(dir, 'openblas_child');
  try {
    execFileSync('cc', ['-O2', '-o', exe, path.join(__dirname, 'bench', 'openblas_child.c'), '-lopenblas'], { stdio: 'pipe' });
    return exe;
  } catch (e) {
    return null;
  }
}

class OpenblasChild {
  constructor(exe, threads, coretype) {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    if (coretype) env.OPENBLAS_CORETYPE = coretype;
    this.proc = spawn(exe, [], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = readline.createInterface({ input: this.proc.stdout });
    this.pending = [];
    this.lines.on('line', (line) => this.pending.shift()(JSON.parse(line)));
  }
  /** Times one shape; resolves after OpenBLAS's worker threads have stopped spinning. */
  run(m, n, k, ta, tb, minSeconds, out) {
    return new Promise((resolve) => {
      this.pending.push((result) => setTimeout(() => resolve(result), OPENBLAS_SETTLE_MS));
      this.proc.stdin.write(`${m} ${n} ${k} ${ta ? 1 : 0} ${tb ? 1 : 0} ${minSeconds} ${out}\n`);
    });
  }
  close() {
    this.proc.stdin.end();
  }
}

/** The targets, judged on this run's rows (the AVX2 one only on the AVX2 path). */
function summarizeTargets(rows, isa) {
  const f = (x) => x.toFixed(2);
  const range = (xs) => `${f(Math.min(...xs))}-${f(Math.max(...xs))}`;
  const out = [];
  if (isa === 'avx512') {
    const squares = rows.filter((r) => r.kind === 'square');
    out.push({ name: 'square 512-2048 >= 0.9x OpenBLAS', met: squares.every((r) => r.ratio >= 0.9), detail: `ratios ${range(squares.map((r) => r.ratio))}` });
    const big = rows.find((r) => r.m === 1024 && r.kind === 'square' && r.threads === 1);
    out.push({ name: '1024^2 1T >= 85% peak', met: big.peakFraction >= 0.85, detail: `${(100 * big.peakFraction).toFixed(1)}%` });
    const training = rows.filter((r) => r.kind === 'training');
    const missed = training.filter((r) => r.ratio < TRAINING_TARGET);
    out.push({
      name: `training shapes >= ${TRAINING_TARGET}x OpenBLAS`,
      met: missed.length === 0,
      detail: `ratios ${range(training.map((r) => r.ratio))}; ${missed.length} of ${training.length} below` +
        (missed.length ? `; for ${missed.filter((r) => r.ceilingRatio < TRAINING_TARGET).length} of those, ${TRAINING_TARGET}x OpenBLAS is above the micro-kernel's own rate in L1` : ''),
    });
  } else if (isa === 'avx2') {
    const squares = rows.filter((r) => r.kind.startsWith('square'));
    out.push({ name: 'AVX2 squares >= 0.9x OpenBLAS Haswell', met: squares.every((r) => r.ratioHaswell >= 0.9), detail: `ratios ${range(squares.map((r) => r.ratioHaswell))}` });
  }
  return out;
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-bench-'));
  const exe = buildOpenblasChild(tmp);
  const peak1 = native.fmaPeak(0.3);
  // The micro-kernel of large products alone, its operands in L1: what a whole product can at
  // most reach of peak (packing and memory traffic come on top).
  const tile1 = native.sgemmTilePeak(0.3);
  const children = {};
  if (exe) {
    for (const t of THREADS) {
      children[`best${t}`] = new OpenblasChild(exe, t, null);
      children[`haswell${t}`] = new OpenblasChild(exe, t, 'Haswell');
    }
  }
  const log = (s) => (JSON_OUT ? process.stderr.write(`${s}\n`) : console.log(s));
  log(`nnkit sgemm: ${native.isa} path, ${os.cpus()[0].model}, ${os.cpus().length} cores; FMA peak (1 thread) ${peak1.toFixed(1)} GFLOP/s`);
  log(`micro-kernel alone, operands in L1 (1 thread): ${tile1.toFixed(1)} GFLOP/s (${(100 * tile1 / peak1).toFixed(0)}% peak): the ceiling of a whole product's rate`);
  if (!exe) log('OpenBLAS not found (apt-get install libopenblas-dev): nnkit figures only.');
  const rows = [];
  const outFile = path.join(tmp, 'c.bin');
  for (const [name, M, K, N, ta, tb, kind] of SHAPES) {
    const a = fill(M * K, 7, 97);
    const b = fill(K * N, 5, 89);
    const c = new Float32Array(M * N);
    const lda = ta ? M : K;
    const ldb = tb ? K : N;
    for (const t of THREADS) {
      const nn = [];
      const best = [];
      const haswell = [];
      let core = null;
      let maxDiff = 0;
      for (let r = 0; r < ROUNDS; r++) {
        nn.push(native.sgemmBench(ta, tb, M, N, K, a, lda, b, ldb, c, N, t, MIN_SECONDS));
        if (exe) {
          const ob = await children[`best${t}`].run(M, N, K, ta, tb, MIN_SECONDS, outFile);
          best.push(ob.seconds);
          core = ob.core;
          if (r === 0) {
            const raw = fs.readFileSync(outFile);
            const theirs = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
            let scale = 0;
            for (let i = 0; i < c.length; i++) scale = Math.max(scale, Math.abs(theirs[i]));
            for (let i = 0; i < c.length; i++) maxDiff = Math.max(maxDiff, Math.abs(theirs[i] - c[i]) / (scale || 1));
          }
          if (kind.startsWith('square')) haswell.push((await children[`haswell${t}`].run(M, N, K, ta, tb, MIN_SECONDS, outFile)).seconds);
        }
      }
      const flop = 2 * M * N * K;
      const gf = (s) => flop / s / 1e9;
      const row = {
        shape: name, m: M, k: K, n: N, op: `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`, kind, threads: t, isa: native.isa,
        nnkitGflops: gf(median(nn)), peakFraction: gf(median(nn)) / (peak1 * t),
        openblasGflops: exe ? gf(median(best)) : null, openblasCore: core,
        ratio: exe ? median(nn.map((s, i) => best[i] / s)) : null,
        haswellGflops: haswell.length ? gf(median(haswell)) : null,
        ratioHaswell: haswell.length ? median(nn.map((s, i) => haswell[i] / s)) : null,
        maxRelDiff: exe ? maxDiff : null,
      };
      if (exe && kind === 'training') {
        // What 1.25x OpenBLAS asks of nnkit in this run: a fraction of the FMA peak. Above the
        // micro-kernel's own rate with its operands in L1 (tile1), no whole product can get there.
        row.needsPeakFraction = (TRAINING_TARGET * row.openblasGflops) / (peak1 * t);
        row.ceilingRatio = (tile1 * t) / row.openblasGflops;
      }
      if (exe && maxDiff > 1e-4) row.error = `results differ from OpenBLAS by ${maxDiff.toExponential(2)}`;
      rows.push(row);
      const f = (x, d = 1) => (x === null ? '-' : x.toFixed(d));
      log(`${name.padEnd(20)} ${row.op} ${t}T  nnkit ${f(row.nnkitGflops).padStart(6)} GFLOP/s (${f(100 * row.peakFraction, 0).padStart(3)}% peak)` +
        (exe ? `  OpenBLAS[${core}] ${f(row.openblasGflops).padStart(6)}  ratio ${f(row.ratio, 2)}` : '') +
        (row.haswellGflops !== null ? `  OpenBLAS[Haswell] ${f(row.haswellGflops).padStart(6)}  ratio ${f(row.ratioHaswell, 2)}` : '') +
        (row.ceilingRatio !== undefined && row.ratio < TRAINING_TARGET
          ? `  (${TRAINING_TARGET}x needs ${f(100 * row.needsPeakFraction, 0)}% peak; ceiling ${f(row.ceilingRatio, 2)})`
          : '') +
        (row.error ? `  ERROR: ${row.error}` : ''));
    }
  }
  const targets = exe ? summarizeTargets(rows, native.isa) : [];
  for (const tg of targets) log(`target ${tg.name}: ${tg.met ? 'met' : 'not met'} (${tg.detail})`);
  for (const ch of Object.values(children)) ch.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  if (JSON_OUT) console.log(JSON.stringify({ isa: native.isa, peakGflops1Thread: peak1, tileGflops1Thread: tile1, rows, targets }, null, 2));
  if (rows.some((r) => r.error)) process.exitCode = 1;
}

main();
