import { fmtE, fmtF } from '../lib/format';

describe('C printf formatting', () => {
  it('%f', () => {
    expect(fmtF(2.186654)).toBe('2.186654');
    expect(fmtF(0.3)).toBe('0.300000');
    expect(fmtF(1)).toBe('1.000000');
    expect(fmtF(NaN)).toBe('nan');
    expect(fmtF(Infinity)).toBe('inf');
    expect(fmtF(-Infinity)).toBe('-inf');
  });
  it('%e with a two-digit exponent', () => {
    expect(fmtE(3e-3)).toBe('3.000000e-03');
    expect(fmtE(1e6)).toBe('1.000000e+06');
    expect(fmtE(1e-6)).toBe('1.000000e-06');
    expect(fmtE(1.405206e-4)).toBe('1.405206e-04');
    expect(fmtE(2.5e-150)).toBe('2.500000e-150');
    expect(fmtE(0)).toBe('0.000000e+00');
    expect(fmtE(NaN)).toBe('nan');
  });
});
