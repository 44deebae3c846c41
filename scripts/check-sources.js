#!/usr/bin/env node
/*
 * Fails (exit 1) when CMakeLists.txt (the cmake-js developer build) and binding.gyp (the node-gyp
 * build that ships) disagree: source lists per target, ISA flags, defines; or when a native .cc
 * file is in neither. Usage: node scripts/check-sources.js [binding.gyp] [CMakeLists.txt]
 */
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

function parseGyp(text) {
  const noComments = text.split('\n').map((line) => line.replace(/^\s*#.*$/, '')).join('\n');
  return Function(`"use strict"; return (${noComments});`)();
}

/** All values of `key` in a gyp target, including inside its conditions. */
function gypList(target, key) {
  const out = [...(target[key] || [])];
  for (const cond of target.conditions || []) {
    for (const branch of cond.slice(1)) if (branch && branch[key]) out.push(...branch[key]);
  }
  return out;
}

function parseCmakeSets(text) {
  const sets = {};
  const re = /set\(\s*(\w+)\s+([^)]*)\)/g;
  let m;
  while ((m = re.exec(text)) !== null) sets[m[1]] = m[2].split(/\s+/).filter(Boolean);
  return sets;
}

function listNativeSources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'test') out.push(...listNativeSources(p));
    } else if (entry.name.endsWith('.cc')) {
      out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  }
  return out;
}

function compare(problems, what, gypValues, cmakeValues) {
  const a = [...gypValues].sort();
  const b = [...(cmakeValues || [])].sort();
  const onlyGyp = a.filter((x) => !b.includes(x));
  const onlyCmake = b.filter((x) => !a.includes(x));
  if (onlyGyp.length) problems.push(`${what}: only in binding.gyp: ${onlyGyp.join(', ')}`);
  if (onlyCmake.length) problems.push(`${what}: only in CMakeLists.txt: ${onlyCmake.join(', ')}`);
}

function check(gypPath, cmakePath) {
  const gyp = parseGyp(fs.readFileSync(gypPath, 'utf8'));
  const cmake = parseCmakeSets(fs.readFileSync(cmakePath, 'utf8'));
  const targets = Object.fromEntries(gyp.targets.map((t) => [t.target_name, t]));
  const problems = [];
  const isaFlags = (t) => gypList(t, 'cflags').filter((f) => /^-m|^-W/.test(f));
  const groups = [
    ['nnkit', 'NNKIT_SOURCES', null],
    ['nnkit_avx2', 'NNKIT_AVX2_SOURCES', 'NNKIT_AVX2_FLAGS'],
    ['nnkit_avx512', 'NNKIT_AVX512_SOURCES', 'NNKIT_AVX512_FLAGS'],
  ];
  for (const [name, sourcesVar, flagsVar] of groups) {
    const t = targets[name];
    if (!t) {
      problems.push(`binding.gyp has no target '${name}'`);
      continue;
    }
    compare(problems, `sources of ${name} / ${sourcesVar}`, gypList(t, 'sources'), cmake[sourcesVar]);
    if (flagsVar) compare(problems, `ISA flags of ${name} / ${flagsVar}`, isaFlags(t), cmake[flagsVar]);
    compare(problems, `defines of ${name} / NNKIT_DEFINES`, gypList(t, 'defines'), cmake.NNKIT_DEFINES);
  }
  const listed = new Set([...(cmake.NNKIT_SOURCES || []), ...(cmake.NNKIT_AVX2_SOURCES || []), ...(cmake.NNKIT_AVX512_SOURCES || [])]);
  for (const t of gyp.targets) for (const s of gypList(t, 'sources')) listed.add(s);
  for (const file of listNativeSources(path.join(root, 'native'))) {
    if (!listed.has(file)) problems.push(`${file} is in neither build`);
  }
  return problems;
}

module.exports = { check };

if (require.main === module) {
  const gypPath = process.argv[2] || path.join(root, 'binding.gyp');
  const cmakePath = process.argv[3] || path.join(root, 'CMakeLists.txt');
  const problems = check(gypPath, cmakePath);
  if (problems.length) {
    console.error(`CMakeLists.txt and binding.gyp disagree:\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  console.log('CMakeLists.txt and binding.gyp agree: same sources, ISA flags and defines.');
}
