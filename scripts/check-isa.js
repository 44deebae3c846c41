#!/usr/bin/env node
/*
 * Fails (exit 1) when AVX (VEX/EVEX-encoded) instructions appear outside the ISA-specific code,
 * which would make the addon crash with SIGILL on an x86-64 CPU without AVX. Two checks on the
 * unstripped build:
 *   1) the object files of the non-ISA sources contain no VEX/EVEX instruction at all;
 *   2) in the linked addon, every function that holds one belongs to an ISA namespace
 *      (nn::kernels::avx2 / nn::kernels::avx512). This catches inline or template code compiled
 *      with AVX flags in an ISA file and then picked by the linker for baseline callers.
 * And one on vectorization: 3) the kernels compiled from one generic source once per ISA
 *      (native/kernels/generic/*.inc) are vectorized alike, full-width instructions (ymm for
 *      avx2, zmm for avx512) within a factor of 2 of each other. A loop that GCC leaves scalar on
 *      one ISA only (AVX2's penalty once, 9x slower) shows as far fewer of them there.
 * Usage: node scripts/check-isa.js [build-dir]   (default: build/)
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ISA_NAMESPACE = /nn::kernels::(avx2|avx512)::/;
const BMI = new Set(['andn', 'bextr', 'blsi', 'blsmsk', 'blsr', 'bzhi', 'mulx', 'pdep', 'pext', 'rorx', 'sarx', 'shlx', 'shrx']);
const NOT_VEX = /^(verr|verw|vmcall|vmclear|vmfunc|vmlaunch|vmload|vmmcall|vmptrld|vmptrst|vmread|vmresume|vmrun|vmsave|vmwrite|vmxoff|vmxon)$/;

/** True when an objdump instruction line (AT&T syntax, no raw bytes) is VEX- or EVEX-encoded. */
function isVexInstruction(line) {
  const m = /^\s*[0-9a-f]+:\s+(?:\{\w+\}\s+)?([a-z][a-z0-9.]*)\s*(.*)$/.exec(line);
  if (!m) return false;
  const [, mnemonic, operands] = m;
  if (mnemonic.startsWith('v') && !NOT_VEX.test(mnemonic)) return true;
  if (BMI.has(mnemonic) || /^k(mov|and|or|xor|not|shift|test|unpck|add)/.test(mnemonic)) return true;
  return /%(ymm|zmm)\d+|%k[0-7]\b/.test(operands);
}

/**
 * The functions of an objdump -d listing, in order: [demangled name, its instruction lines].
 * @returns {Array<[string, string[]]>}
 */
function functionsOf(listing) {
  const functions = [];
  for (const line of listing.split('\n')) {
    const header = /^[0-9a-f]+ <(.+)>:$/.exec(line);
    if (header) functions.push([header[1], []]);
    else if (functions.length > 0) functions[functions.length - 1][1].push(line);
  }
  return functions;
}

/** Functions (demangled names) of an objdump -d listing that contain VEX/EVEX instructions. */
function vexFunctions(listing) {
  const found = new Map();
  for (const [name, lines] of functionsOf(listing)) {
    const count = lines.filter(isVexInstruction).length;
    if (count > 0) found.set(name, (found.get(name) || 0) + count);
  }
  return found;
}

// The generic kernels compiled once per ISA namespace (native/kernels/generic/loss_optim.inc).
const GENERIC_KERNELS = ['Penalty', 'NesterovUpdate', 'AdagradUpdate', 'RmspropUpdate', 'AdamUpdate', 'SvmLoss', 'MseLoss'];
const WIDE_REGISTER = { avx2: /%ymm\d+/, avx512: /%zmm\d+/ };

/**
 * Per generic kernel, the number of instructions on each ISA's full-width registers in its
 * namespace's copy: Map name -> { avx2, avx512 } (a count is missing where the copy is).
 */
function wideInstructionCounts(listing) {
  const counts = new Map();
  for (const [fn, lines] of functionsOf(listing)) {
    const m = /^nn::kernels::(avx2|avx512)::(\w+)\(/.exec(fn);
    if (!m || !GENERIC_KERNELS.includes(m[2])) continue;
    const [, isa, name] = m;
    const entry = counts.get(name) || {};
    entry[isa] = (entry[isa] || 0) + lines.filter((line) => WIDE_REGISTER[isa].test(line)).length;
    counts.set(name, entry);
  }
  return counts;
}

/** Problems: generic kernels whose AVX2 and AVX-512 copies differ by more than 2x in vector instructions. */
function vectorizationProblems(counts) {
  const problems = [];
  for (const [name, { avx2, avx512 }] of counts) {
    if (avx2 === undefined || avx512 === undefined) continue;
    if (Math.min(avx2, avx512) * 2 < Math.max(avx2, avx512)) {
      const scalar = avx2 < avx512 ? 'avx2' : 'avx512';
      problems.push(`nnkit.node: ${name} has ${avx2} ymm instructions in nn::kernels::avx2 and ${avx512} zmm in nn::kernels::avx512: probably left scalar on ${scalar}`);
    }
  }
  return problems;
}

function disassemble(file) {
  return execFileSync('objdump', ['-d', '-C', '--no-show-raw-insn', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

function findFiles(dir, pred, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) findFiles(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

function check(buildDir) {
  const problems = [];
  const addon = path.join(buildDir, 'Release', 'nnkit.node');
  if (!fs.existsSync(addon)) return { problems: [`${addon} not found: build the addon first`], objects: 0 };
  // 1) non-ISA objects: gyp puts them under obj.target/nnkit/, CMake under CMakeFiles/nnkit.dir/.
  const objects = findFiles(buildDir, (p) => p.endsWith('.o') && /(obj\.target[\\/]nnkit[\\/]|nnkit\.dir[\\/])/.test(p));
  for (const obj of objects) {
    for (const [fn, count] of vexFunctions(disassemble(obj))) problems.push(`${path.relative(buildDir, obj)}: ${fn} has ${count} VEX/EVEX instructions`);
  }
  // 2) the linked addon: VEX/EVEX only inside the ISA namespaces.
  const listing = disassemble(addon);
  for (const [fn, count] of vexFunctions(listing)) {
    if (!ISA_NAMESPACE.test(fn)) problems.push(`nnkit.node: ${fn} (outside the ISA namespaces) has ${count} VEX/EVEX instructions`);
  }
  // 3) the generic kernels vectorized alike on both ISAs.
  problems.push(...vectorizationProblems(wideInstructionCounts(listing)));
  return { problems, objects: objects.length };
}

module.exports = { check, isVexInstruction, vexFunctions, wideInstructionCounts, vectorizationProblems };

if (require.main === module) {
  const buildDir = path.resolve(process.argv[2] || path.join(__dirname, '..', 'build'));
  const { problems, objects } = check(buildDir);
  if (problems.length) {
    console.error(`ISA check failed:\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  console.log(`No VEX/EVEX instruction outside the ISA code (${objects} baseline objects and the linked addon checked); generic kernels vectorized alike on avx2 and avx512.`);
}
