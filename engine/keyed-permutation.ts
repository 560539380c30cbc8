import { createCipheriv, type Cipher } from 'node:crypto';

/**
 * A keyed pseudo-random permutation of [0, mu·mv): a 10-round Feistel network over the two halves
 * (FF1's structure; the domain is exactly mu·mv, so no cycle walking), whose round function is
 * AES-128 keyed by `aesKey` and tagged with the halves' widths `u` and `v`. Batched: `forward` maps
 * up to `batch` consecutive indexes per call (one AES call a round), so millions of values take
 * about a second. Card numbers and coupon codes use it to issue collision-free, unguessable values
 * with no database round trip. Changing anything here changes every value issued for a key.
 */
export interface KeyedPermutation {
  /** Values per `forward` call. */
  readonly batch: number;
  /** Left halves of the last `forward` call's results. */
  readonly hi: Uint32Array;
  /** Right halves of the last `forward` call's results. */
  readonly lo: Uint32Array;
  /** Permutes indexes start … start + n − 1 (n ≤ batch) into `hi[0..n)`, `lo[0..n)`. */
  forward(start: number, n: number): void;
  /** The index whose value has halves (hi, lo). */
  inverse(hi: number, lo: number): number;
}

const rounds = 10;
const batch = 16_384;
const two32 = 4_294_967_296;

export function keyedPermutation(
  aesKey: Buffer | Uint8Array,
  halves: { u: number; v: number; mu: number; mv: number },
): KeyedPermutation {
  const { u, v, mu, mv } = halves;
  const cipher: Cipher = createCipheriv('aes-128-ecb', aesKey, null).setAutoPadding(false);
  const input = new Uint8Array(batch * 16);
  const inputView = new DataView(input.buffer);
  const f = new Float64Array(batch);

  /** f[j] = AES(round, u, v, x[j]) mod m, from 52 bits of the block: bias below 2^-22. */
  function roundFunction(round: number, x: Uint32Array, n: number, m: number): void {
    const tag = round | (u << 8) | (v << 16);
    for (let j = 0; j < n; j++) {
      inputView.setUint32(j * 16, tag, true);
      inputView.setUint32(j * 16 + 4, x[j]!, true);
    }
    const out = cipher.update(input.subarray(0, n * 16));
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let j = 0; j < n; j++) {
      // x mod m without fmod: the quotient estimate may be off by one, the two corrections fix it
      // (x < 2^52 and m < 2^32, so every product and difference here is an exact double)
      const x = (view.getUint32(j * 16 + 4, true) & 0xfffff) * two32 + view.getUint32(j * 16, true);
      let r = x - Math.floor(x / m) * m;
      if (r < 0) r += m;
      else if (r >= m) r -= m;
      f[j] = r;
    }
  }

  let a = new Uint32Array(batch);
  let b = new Uint32Array(batch);
  let c = new Uint32Array(batch);

  /** In place on a[0..n), b[0..n): the permutation (forward) or its inverse. */
  function permute(n: number, inverse: boolean): void {
    for (let step = 0; step < rounds; step++) {
      const round = inverse ? rounds - 1 - step : step;
      const m = round % 2 === 0 ? mu : mv;
      if (!inverse) {
        // (A, B) → (B, (A + F(B)) mod m)
        roundFunction(round, b, n, m);
        for (let j = 0; j < n; j++) {
          const s = a[j]! + f[j]!;
          c[j] = s >= m ? s - m : s;
        }
        [a, b, c] = [b, c, a];
      } else {
        // (A', B') = (B, C) → (A, B) = ((C − F(B)) mod m, B)
        roundFunction(round, a, n, m);
        for (let j = 0; j < n; j++) {
          const d = b[j]! - f[j]!;
          c[j] = d < 0 ? d + m : d;
        }
        [a, b, c] = [c, a, b];
      }
    }
  }

  return {
    batch,
    get hi() {
      return a;
    },
    get lo() {
      return b;
    },
    forward(start, n) {
      for (let j = 0; j < n; j++) {
        const x = start + j;
        const low = x % mv;
        b[j] = low;
        a[j] = (x - low) / mv;
      }
      permute(n, false);
    },
    inverse(hi, lo) {
      a[0] = hi;
      b[0] = lo;
      permute(1, true);
      return a[0]! * mv + b[0]!;
    },
  };
}
