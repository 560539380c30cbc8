/**
 * Spreads a non-negative integer `total` over parts in proportion to non-negative integer `weights` by
 * the largest-remainder method: every part first gets floor(total × weight / Σweights), and the minor
 * units left go one each to the parts with the largest remainders, ties to the lower index. The result
 * sums to `total` exactly, is never negative, and when total ≤ Σweights no part exceeds its weight.
 * Weights that are all zero spread the total evenly (same rule). Throws on an empty list with a
 * positive total, a negative or fractional input.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total ${total} is not an integer ≥ 0`);
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`weight ${w} is not an integer ≥ 0`);
  }
  if (weights.length === 0) {
    if (total === 0) return [];
    throw new RangeError('cannot spread a positive total over no parts');
  }
  let sum = weights.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(sum)) throw new RangeError('the weights add up past 2^53');
  const ws = sum === 0 ? weights.map(() => 1) : weights;
  if (sum === 0) sum = ws.length;
  const shares: number[] = new Array<number>(ws.length);
  const remainders: number[] = new Array<number>(ws.length);
  let given = 0;
  let maxWeight = 0;
  for (const w of ws) if (w > maxWeight) maxWeight = w;
  if (total * maxWeight <= Number.MAX_SAFE_INTEGER) {
    // Exact in doubles: every product is a safe integer.
    for (let i = 0; i < ws.length; i++) {
      const [share, remainder] = divide(total * ws[i]!, sum);
      shares[i] = share;
      remainders[i] = remainder;
      given += share;
    }
  } else {
    const bigTotal = BigInt(total);
    const bigSum = BigInt(sum);
    for (let i = 0; i < ws.length; i++) {
      const product = bigTotal * BigInt(ws[i]!);
      const share = Number(product / bigSum);
      shares[i] = share;
      // The remainder is below sum, a safe integer.
      remainders[i] = Number(product % bigSum);
      given += share;
    }
  }
  let left = total - given;
  if (left > 0) {
    const order = ws.map((_, i) => i);
    order.sort((a, b) =>
      remainders[a]! > remainders[b]! ? -1 : remainders[a]! < remainders[b]! ? 1 : a - b,
    );
    for (let k = 0; left > 0; k++, left--) shares[order[k]!]! += 1;
  }
  return shares;
}

/** amount × bps / 10 000, floored or rounded half up, for non-negative integers. */
export function applyBps(amount: number, bps: number, rounding: 'floor' | 'halfUp' = 'floor'): number {
  if (amount * bps <= Number.MAX_SAFE_INTEGER) {
    const [q, r] = divide(amount * bps, 10_000);
    return rounding === 'halfUp' && r * 2 >= 10_000 ? q + 1 : q;
  }
  const product = BigInt(amount) * BigInt(bps);
  const q = product / 10_000n;
  const r = product % 10_000n;
  return Number(rounding === 'halfUp' && r * 2n >= 10_000n ? q + 1n : q);
}

/** Floor division of safe non-negative integers, corrected where the float quotient rounds across an integer. */
function divide(n: number, d: number): [number, number] {
  let q = Math.floor(n / d);
  let r = n - q * d;
  while (r < 0) {
    q -= 1;
    r += d;
  }
  while (r >= d) {
    q += 1;
    r -= d;
  }
  return [q, r];
}
