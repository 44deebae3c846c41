import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers/ref';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const sources = require('../../scripts/check-sources.js') as { check(gyp: string, cmake: string): string[] };
// eslint-disable-next-line @typescript-eslint/no-var-requires
const isa = require('../../scripts/check-isa.js') as {
  check(buildDir: string): { problems: string[]; objects: number };
  isVexInstruction(line: string): boolean;
  vexFunctions(listing: string): Map<string, number>;
  wideInstructionCounts(listing: string): Map<string, { avx2?: number; avx512?: number }>;
  vectorizationProblems(counts: Map<string, { avx2?: number; avx512?: number }>): string[];
};

describe('CMakeLists.txt and binding.gyp agree', () => {
  it('the check passes on the repository', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'check-sources.js')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the check fails when a source, an ISA flag or a define differs', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-src-'));
    const gyp = fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8');
    const cmake = fs.readFileSync(path.join(ROOT, 'CMakeLists.txt'), 'utf8');
    const write = (name: string, text: string) => {
      fs.writeFileSync(path.join(tmp, name), text);
      return path.join(tmp, name);
    };
    const cmakeFile = write('CMakeLists.txt', cmake);
    const gypFile = write('binding.gyp', gyp);
    expect(sources.check(gypFile, cmakeFile)).toEqual([]);
    const dropped = write('a.gyp', gyp.replace("        'native/kernels/gemm.cc',\n", ''));
    expect(sources.check(dropped, cmakeFile)).toEqual(expect.arrayContaining([expect.stringMatching(/only in CMakeLists.txt: native\/kernels\/gemm.cc/)]));
    const flag = write('b.gyp', gyp.replace("'-mavx2', '-mfma']", "'-mavx2']"));
    expect(sources.check(flag, cmakeFile).join('\n')).toMatch(/ISA flags of nnkit_avx2.*only in CMakeLists.txt: -mfma/);
    const define = write('c.txt', cmake.replace('NAPI_VERSION=8', 'NAPI_VERSION=9'));
    expect(sources.check(gypFile, define).join('\n')).toMatch(/defines of nnkit.*NAPI_VERSION=8/);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('no AVX instruction outside the ISA-specific code', () => {
  it('classifies instructions', () => {
    expect(isa.isVexInstruction('  4a:	vfmadd231ps %ymm1,%ymm2,%ymm3')).toBe(true);
    expect(isa.isVexInstruction('  4a:	vmovss 0x10(%rdi),%xmm0')).toBe(true);
    expect(isa.isVexInstruction('  4a:	kmovw  %k1,%eax')).toBe(true);
    expect(isa.isVexInstruction('  4a:	shlx   %rax,%rbx,%rcx')).toBe(true);
    expect(isa.isVexInstruction('  4a:	movaps %xmm0,%xmm1')).toBe(false);
    expect(isa.isVexInstruction('  4a:	mulss  %xmm0,%xmm1')).toBe(false);
    expect(isa.isVexInstruction('  4a:	verw   (%rax)')).toBe(false);
  });

  it('finds the function that holds one', () => {
    const listing = ['0000 <base()>:', '  0:	addps %xmm0,%xmm1', '0010 <leaky()>:', '  10:	vaddps %ymm0,%ymm1,%ymm1'].join('\n');
    expect([...isa.vexFunctions(listing).keys()]).toEqual(['leaky()']);
  });

  it('flags a generic kernel vectorized on one ISA only', () => {
    const listing = [
      '0000 <nn::kernels::avx2::Penalty(float const*, long, float, float, float*, bool)>:',
      '  0:	vaddss %xmm0,%xmm1,%xmm1',
      '  4:	vaddps %ymm0,%ymm1,%ymm1',
      '0010 <nn::kernels::avx512::Penalty(float const*, long, float, float, float*, bool)>:',
      '  10:	vaddps %zmm0,%zmm1,%zmm1',
      '  14:	vfmadd231ps %zmm2,%zmm3,%zmm1',
      '  18:	vmulps %zmm2,%zmm3,%zmm4',
      '0020 <nn::kernels::avx2::AdamUpdate(float*)>:',
      '  20:	vmulps %ymm2,%ymm3,%ymm4',
      '0030 <nn::kernels::avx512::AdamUpdate(float*)>:',
      '  30:	vmulps %zmm2,%zmm3,%zmm4',
      '0040 <nn::kernels::avx2::BiasAdd(float*)>:',
      '  40:	vaddss %xmm0,%xmm1,%xmm1',
    ].join('\n');
    const counts = isa.wideInstructionCounts(listing);
    expect(Object.fromEntries(counts)).toEqual({ Penalty: { avx2: 1, avx512: 3 }, AdamUpdate: { avx2: 1, avx512: 1 } });
    const problems = isa.vectorizationProblems(counts);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/Penalty has 1 ymm .* and 3 zmm .*: probably left scalar on avx2/);
  });

  it('the built addon passes: baseline objects are AVX-free, AVX lives only in nn::kernels::avx2/avx512', () => {
    const { problems, objects } = isa.check(path.join(ROOT, 'build'));
    expect(problems).toEqual([]);
    expect(objects).toBeGreaterThanOrEqual(10);
  });
});
