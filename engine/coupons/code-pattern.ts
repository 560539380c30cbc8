import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../errors';
import { keyedPermutation } from '../keyed-permutation';

/**
 * Coupon code patterns and the generator of their codes.
 *
 * A code is `prefix + random part + offline check`, written in the pattern's alphabet (by default 31
 * upper-case characters without the look-alikes 0/O/1/I/L). For display it may be grouped with '-';
 * `normalizeCode` undoes that (upper case, no spaces or dashes), so a code is typed any way.
 *
 * The random part has N = r^length values (r = alphabet size). Only sequence indexes 0 … N/1000 − 1
 * are ever issued, and index i becomes the random part P(i), where P is a keyed permutation of [0, N):
 * a 10-round Feistel network over the two radix-r halves of the random part (as for card numbers,
 * engine/cards/number-template.ts), whose round function is AES-128 keyed by HMAC-SHA256(secret key,
 * pattern). So codes never collide (P is a bijection: uniqueness needs no database round trip and no
 * retry), neighbouring indexes give unrelated codes, and a random well-formed code is an issued one
 * with probability ≤ 1/1000 even before its check is tested.
 *
 * The offline check is the last `checkLength` characters: HMAC-SHA256(till key, prefix + random part)
 * truncated to 48 bits and written as `checkLength` radix-r digits. A till holding the program's till
 * key verifies it without the network: a mistyped or guessed code passes with probability r^−checkLength
 * (1/961 with the defaults). The till key is not the secret key: a till cannot generate issued codes.
 */

export const defaultAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

const density = 1000; // one random part in 1000 may ever be issued
const maxSpace = 2 ** 52; // r^length stays an exact double, and each half fits in 32 bits

export const codePatternSchema = z
  .object({
    prefix: z
      .string()
      .max(16)
      .regex(/^[A-Z0-9]*$/, 'prefix must be upper-case letters and digits')
      .default(''),
    /** Characters of the random part (the check comes on top). */
    length: z.number().int().min(4).max(20),
    /** A set of upper-case letters and digits, kept in sorted order (codes then sort like their values). */
    alphabet: z
      .string()
      .min(8)
      .max(36)
      .regex(/^[A-Z0-9]+$/, 'alphabet must be upper-case letters and digits')
      .refine((a) => new Set(a).size === a.length, 'alphabet characters must be distinct')
      .transform((a) => [...a].sort().join(''))
      .default(defaultAlphabet),
    /** Characters of the offline check at the end of the code (0 turns it off). */
    checkLength: z.number().int().min(0).max(4).default(2),
    /** Display only: a '-' after every `group` characters. */
    group: z.number().int().min(2).max(10).nullish(),
  })
  .superRefine((p, ctx) => {
    const space = p.alphabet.length ** p.length;
    if (space > maxSpace) {
      ctx.addIssue({
        code: 'custom',
        path: ['length'],
        message: `${p.alphabet.length}^${p.length} random parts exceed 2^52; use a shorter random part`,
      });
    } else if (space < density) {
      ctx.addIssue({
        code: 'custom',
        path: ['length'],
        message: `${p.alphabet.length}^${p.length} random parts are too few (at least ${density} needed)`,
      });
    }
  });

export type CodePattern = z.output<typeof codePatternSchema>;
export type CodePatternInput = z.input<typeof codePatternSchema>;

/** How many codes the pattern may ever issue: floor(r^length / 1000). */
export function maxIssuable(pattern: CodePattern): number {
  return Math.floor(pattern.alphabet.length ** pattern.length / density);
}

/** Full length of a code without grouping dashes. */
export function codeLength(pattern: CodePattern): number {
  return pattern.prefix.length + pattern.length + pattern.checkLength;
}

/** Upper case, without spaces, tabs and dashes (of any kind): how codes are stored and compared. */
export function normalizeCode(input: string): string {
  return input.toUpperCase().replace(/[\s\-\u2010-\u2015\u2212_]/g, '');
}

/** The code with a '-' after every `group` characters, for print and screens. */
export function formatCode(code: string, pattern: CodePattern): string {
  if (!pattern.group) return code;
  const parts: string[] = [];
  for (let i = 0; i < code.length; i += pattern.group) parts.push(code.slice(i, i + pattern.group));
  return parts.join('-');
}

/** The check characters of `head` (prefix + random part): truncated HMAC-SHA256 keyed by the till key. */
function checkOf(head: string, pattern: CodePattern, tillKey: Buffer | Uint8Array): string {
  if (pattern.checkLength === 0) return '';
  const mac = createHmac('sha256', tillKey).update(head, 'latin1').digest();
  return checkDigits(mac.readUIntBE(0, 6), pattern);
}

function checkDigits(value: number, pattern: CodePattern): string {
  const r = pattern.alphabet.length;
  let v = value % r ** pattern.checkLength;
  let out = '';
  for (let i = 0; i < pattern.checkLength; i++) {
    out = pattern.alphabet[v % r]! + out;
    v = Math.floor(v / r);
  }
  return out;
}

/**
 * True when the (possibly grouped, lower-case) code has the pattern's shape and its check characters
 * match: what a till can tell without the network. It does not tell whether the code was issued.
 */
export function verifyOfflineCheck(
  input: string,
  patternInput: CodePatternInput | CodePattern,
  tillKey: Buffer | Uint8Array,
): boolean {
  const pattern = codePatternSchema.parse(patternInput);
  const code = normalizeCode(input);
  if (code.length !== codeLength(pattern) || !code.startsWith(pattern.prefix)) return false;
  for (let i = pattern.prefix.length; i < code.length; i++) {
    if (!pattern.alphabet.includes(code[i]!)) return false;
  }
  const headLength = pattern.prefix.length + pattern.length;
  return checkOf(code.slice(0, headLength), pattern, tillKey) === code.slice(headLength);
}

export interface CodeGenerator {
  readonly pattern: CodePattern;
  /** Indexes 0 … maxIssuable − 1 may be issued. */
  readonly maxIssuable: number;
  /** The codes of indexes start … start + count − 1, in index order or (`sorted`) in ascending order. */
  generate(start: number, count: number, options?: { sorted?: boolean }): string[];
  /** The same codes in arrays of at most `size` (default 50 000). */
  batches(
    start: number,
    count: number,
    options?: { size?: number; sorted?: boolean },
  ): Generator<string[], void, undefined>;
  /** The index a code was issued under, or null when it is not one of the pattern's issued codes. */
  indexOf(code: string): number | null;
}

/**
 * A deterministic generator for `pattern`: `secretKey` (≥ 16 bytes, per coupon issue) decides which
 * codes the indexes become, `tillKey` (the program's, ≥ 16 bytes) makes the offline check.
 */
export function createCodeGenerator(
  patternInput: CodePatternInput | CodePattern,
  secretKey: Buffer | Uint8Array,
  tillKey: Buffer | Uint8Array,
): CodeGenerator {
  const pattern = codePatternSchema.parse(patternInput);
  if (secretKey.length < 16)
    throw new RangeError('createCodeGenerator: the secret key needs at least 16 bytes');
  if (tillKey.length < 16) throw new RangeError('createCodeGenerator: the till key needs at least 16 bytes');
  const { prefix, alphabet, length, checkLength } = pattern;
  const r = alphabet.length;
  const u = Math.floor(length / 2); // characters of the left half
  const v = length - u; // characters of the right half
  const mu = r ** u;
  const mv = r ** v; // r^v ≤ 2^26 · √r < 2^32, since r^length ≤ 2^52 and r ≤ 36
  const max = maxIssuable(pattern);
  const alphabetCodes = Uint8Array.from(alphabet, (c) => c.charCodeAt(0));

  const aesKey = createHmac('sha256', secretKey)
    .update(`loyalflow/coupon-code/v1:${prefix}:${alphabet}:${length}`)
    .digest()
    .subarray(0, 16);
  const perm = keyedPermutation(aesKey, { u, v, mu, mv });
  const chunk = perm.batch;

  function checkRange(start: number, count: number): void {
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(count) || count < 0) {
      throw new DomainError('invalid_code_range', `bad index range: start ${start}, count ${count}`, 422);
    }
    if (start + count > max) {
      throw new DomainError(
        'coupon_codes_exhausted',
        `the pattern issues at most ${max} codes; indexes ${start}…${start + count - 1} asked`,
        409,
      );
    }
  }

  const headLength = prefix.length + length;
  const mac = createCheckMac(tillKey, headLength);
  const head = mac.block; // the inner block: bytes 0 … headLength − 1 are the code's head
  head.set(Uint8Array.from(prefix, (ch) => ch.charCodeAt(0)));
  const out = new Uint8Array(headLength + checkLength);
  const checkModulus = r ** checkLength;
  const decoder = new TextDecoder('latin1');

  function writeDigits(target: Uint8Array, value: number, offset: number, digits: number): void {
    for (let i = digits - 1; i >= 0; i--) {
      const d = value % r;
      target[offset + i] = alphabetCodes[d]!;
      value = (value - d) / r;
    }
  }

  function format(hi: number, lo: number): string {
    writeDigits(head, hi, prefix.length, u);
    writeDigits(head, lo, prefix.length + u, v);
    out.set(head.subarray(0, headLength));
    if (checkLength > 0) writeDigits(out, mac.compute() % checkModulus, headLength, checkLength);
    return decoder.decode(out);
  }

  function* inIndexOrder(start: number, count: number): Generator<string[], void, undefined> {
    for (let done = 0; done < count; done += chunk) {
      const n = Math.min(chunk, count - done);
      perm.forward(start + done, n);
      const out = new Array<string>(n);
      for (let j = 0; j < n; j++) out[j] = format(perm.hi[j]!, perm.lo[j]!);
      yield out;
    }
  }

  /** Codes in ascending order: the alphabet is sorted, so codes sort like their random parts' values. */
  function* inCodeOrder(start: number, count: number): Generator<string[], void, undefined> {
    const keys = new Float64Array(count);
    for (let done = 0; done < count; done += chunk) {
      const n = Math.min(chunk, count - done);
      perm.forward(start + done, n);
      for (let j = 0; j < n; j++) keys[done + j] = perm.hi[j]! * mv + perm.lo[j]!; // < 2^52: exact
    }
    keys.sort();
    for (let done = 0; done < count; done += chunk) {
      const n = Math.min(chunk, count - done);
      const out = new Array<string>(n);
      for (let j = 0; j < n; j++) {
        const key = keys[done + j]!;
        const lo = key % mv;
        out[j] = format((key - lo) / mv, lo);
      }
      yield out;
    }
  }

  function* rebatch(parts: Iterable<string[]>, size: number): Generator<string[], void, undefined> {
    let batch: string[] = [];
    for (const part of parts) {
      for (const code of part) {
        batch.push(code);
        if (batch.length === size) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  function generate(start: number, count: number, options: { sorted?: boolean } = {}): string[] {
    checkRange(start, count);
    const out: string[] = [];
    for (const part of options.sorted ? inCodeOrder(start, count) : inIndexOrder(start, count)) {
      for (const code of part) out.push(code);
    }
    return out;
  }

  function batches(
    start: number,
    count: number,
    options: { size?: number; sorted?: boolean } = {},
  ): Generator<string[], void, undefined> {
    const size = options.size ?? 50_000;
    checkRange(start, count); // now, not at the first next()
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`batches: bad size ${size}`);
    return rebatch(options.sorted ? inCodeOrder(start, count) : inIndexOrder(start, count), size);
  }

  function indexOf(input: string): number | null {
    const code = normalizeCode(input);
    if (!verifyOfflineCheck(code, pattern, tillKey)) return null;
    const digitsOf = (from: number, to: number) => {
      let value = 0;
      for (let i = from; i < to; i++) value = value * r + alphabet.indexOf(code[i]!);
      return value;
    };
    const index = perm.inverse(
      digitsOf(prefix.length, prefix.length + u),
      digitsOf(prefix.length + u, headLength),
    );
    return index < max ? index : null;
  }

  return { pattern, maxIssuable: max, generate, batches, indexOf };
}

/**
 * The codes of sequence indexes `startIndex` … `startIndex + count − 1` of a coupon issue, in index
 * order: deterministic for (pattern, secretKey, tillKey) and never colliding within an issue.
 */
export function generateCodes(
  pattern: CodePatternInput | CodePattern,
  secretKey: Buffer | Uint8Array,
  startIndex: number,
  count: number,
  tillKey: Buffer | Uint8Array,
): string[] {
  return createCodeGenerator(pattern, secretKey, tillKey).generate(startIndex, count);
}

// HMAC-SHA256 for the checks of bulk generation. Node's one-shot hashes cost about 3 µs per code
// (4 compressions and 2 native calls); here the key's inner and outer blocks are compressed once and
// each code costs 2 compressions in JavaScript (≈ 0.5 µs). Tests compare it with node:crypto's HMAC.

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const H0 = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const w = new Int32Array(64);

/** out = SHA-256 compression of `state` with the 16 big-endian words in w[0..16). */
function compress(state: Int32Array, out: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  out[0] = (state[0]! + a) | 0;
  out[1] = (state[1]! + b) | 0;
  out[2] = (state[2]! + c) | 0;
  out[3] = (state[3]! + d) | 0;
  out[4] = (state[4]! + e) | 0;
  out[5] = (state[5]! + f) | 0;
  out[6] = (state[6]! + g) | 0;
  out[7] = (state[7]! + h) | 0;
}

function loadBlock(bytes: Uint8Array): void {
  for (let i = 0; i < 16; i++) {
    w[i] = (bytes[4 * i]! << 24) | (bytes[4 * i + 1]! << 16) | (bytes[4 * i + 2]! << 8) | bytes[4 * i + 3]!;
  }
}

/**
 * HMAC-SHA256(key, message) for messages of exactly `messageLength` (≤ 55) bytes, written by the caller
 * into `block`; `compute()` answers the first 48 bits of the MAC as a number.
 */
export function createCheckMac(
  keyInput: Buffer | Uint8Array,
  messageLength: number,
): { block: Uint8Array; compute(): number } {
  if (messageLength > 55) throw new RangeError('createCheckMac: messages of at most 55 bytes');
  const key = new Uint8Array(64);
  key.set(keyInput.length > 64 ? createHash('sha256').update(keyInput).digest() : keyInput);
  const pad = new Uint8Array(64);
  const innerState = new Int32Array(8);
  const outerState = new Int32Array(8);
  for (let i = 0; i < 64; i++) pad[i] = key[i]! ^ 0x36;
  loadBlock(pad);
  compress(H0, innerState);
  for (let i = 0; i < 64; i++) pad[i] = key[i]! ^ 0x5c;
  loadBlock(pad);
  compress(H0, outerState);

  const block = new Uint8Array(64);
  block[messageLength] = 0x80;
  const innerBits = (64 + messageLength) * 8;
  block[62] = innerBits >>> 8;
  block[63] = innerBits & 0xff;
  const inner = new Int32Array(8);
  const outer = new Int32Array(8);
  return {
    block,
    compute() {
      loadBlock(block);
      compress(innerState, inner);
      for (let i = 0; i < 8; i++) w[i] = inner[i]!;
      w[8] = 0x80000000 | 0;
      for (let i = 9; i < 15; i++) w[i] = 0;
      w[15] = (64 + 32) * 8;
      compress(outerState, outer);
      return (outer[0]! >>> 0) * 65_536 + (outer[1]! >>> 16); // the MAC's first 6 bytes, big-endian
    },
  };
}
