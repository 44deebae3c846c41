/**
 * C printf-style number formatting for the lecture's log lines: `%f` (6 decimals) and `%e`
 * (6 decimals, exponent with at least two digits), with `nan`, `inf` and `-inf` as C prints them.
 */
function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

/** `%f`: 2.186654 */
export function fmtF(x: number, digits = 6): string {
  return nonFinite(x) ?? x.toFixed(digits);
}

/** `%e`: 3.000000e-03 */
export function fmtE(x: number, digits = 6): string {
  const s = nonFinite(x);
  if (s !== null) return s;
  const [mantissa, exponent] = x.toExponential(digits).split('e');
  const sign = exponent[0] === '-' ? '-' : '+';
  const digitsOnly = exponent.replace(/^[+-]/, '');
  return `${mantissa}e${sign}${digitsOnly.padStart(2, '0')}`;
}
