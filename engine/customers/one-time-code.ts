import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What is stored about a code that was sent: never the code itself. Times are ISO strings so a record
 * survives JSON (database columns, workflow payloads) unchanged.
 */
export interface OneTimeCodeRecord {
  codeHash: string;
  salt: string;
  expiresAt: string;
  attempts: number;
  maxAttempts: number;
  lockedUntil: string | null;
  consumedAt: string | null;
}

export interface IssueCodeInput {
  now: Date;
  ttlSeconds: number;
  /** Digits in the code, 4 to 8. */
  length: number;
  maxAttempts: number;
  /** The server-side HMAC key; a leaked table of hashes is useless without it. */
  secret: string;
  /**
   * Uniform in [0, 1). The engine stays deterministic by taking it as a parameter; in production it
   * must come from a cryptographic generator (node:crypto randomInt), never Math.random.
   */
  random: () => number;
}

export type VerifyResult = 'ok' | 'wrong' | 'expired' | 'locked' | 'consumed';

const SALT_BYTES = 16;

function draw(random: () => number, n: number): number {
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() returned ${r}, expected a number in [0, 1)`);
  return Math.floor(r * n);
}

function hash(secret: string, salt: string, code: string): string {
  return createHmac('sha256', secret)
    .update(salt + code)
    .digest('hex');
}

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}

/** Creates a numeric code to send and the record to keep. */
export function issueCode(input: IssueCodeInput): { code: string; record: OneTimeCodeRecord } {
  const { now, ttlSeconds, length, maxAttempts, secret, random } = input;
  if (!Number.isInteger(length) || length < 4 || length > 8)
    throw new RangeError('length must be 4 to 8 digits');
  positiveInt('ttlSeconds', ttlSeconds);
  positiveInt('maxAttempts', maxAttempts);
  if (secret === '') throw new RangeError('secret must not be empty');
  const code = Array.from({ length }, () => String(draw(random, 10))).join('');
  const salt = Array.from({ length: SALT_BYTES }, () => draw(random, 256).toString(16).padStart(2, '0')).join(
    '',
  );
  return {
    code,
    record: {
      codeHash: hash(secret, salt, code),
      salt,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
      attempts: 0,
      maxAttempts,
      lockedUntil: null,
      consumedAt: null,
    },
  };
}

/**
 * Checks an attempt and returns the record to store next. The order of the checks matters: a used code
 * stays used, an expired code is reported as expired even while locked (the customer should ask for a
 * new one rather than wait), and a locked record ignores attempts without counting them. When a lock
 * has run out the count starts again, so guessing stays at maxAttempts per lockout period.
 * Every wrong attempt counts, malformed ones too; the one reaching maxAttempts locks until
 * now + lockoutSeconds and is still answered 'wrong' (attemptsLeft 0 tells the caller).
 */
export function verifyCode(
  record: OneTimeCodeRecord,
  attempt: string,
  now: Date,
  lockoutSeconds: number,
  secret: string,
): { result: VerifyResult; record: OneTimeCodeRecord; attemptsLeft: number } {
  if (!Number.isInteger(lockoutSeconds) || lockoutSeconds < 0) {
    throw new RangeError('lockoutSeconds must be a non-negative integer');
  }
  const t = now.getTime();
  const left = (r: OneTimeCodeRecord) => Math.max(0, r.maxAttempts - r.attempts);
  if (record.consumedAt !== null) return { result: 'consumed', record, attemptsLeft: 0 };
  if (t >= Date.parse(record.expiresAt)) return { result: 'expired', record, attemptsLeft: left(record) };
  if (record.lockedUntil !== null && t < Date.parse(record.lockedUntil)) {
    return { result: 'locked', record, attemptsLeft: 0 };
  }
  const current = record.lockedUntil === null ? record : { ...record, attempts: 0, lockedUntil: null };

  const expected = Buffer.from(current.codeHash, 'hex');
  const actual = Buffer.from(hash(secret, current.salt, String(attempt).replace(/\s+/g, '')), 'hex');
  if (expected.length === actual.length && timingSafeEqual(expected, actual)) {
    const consumed = { ...current, consumedAt: now.toISOString() };
    return { result: 'ok', record: consumed, attemptsLeft: 0 };
  }
  const attempts = current.attempts + 1;
  const lockedUntil =
    attempts >= current.maxAttempts ? new Date(t + lockoutSeconds * 1000).toISOString() : current.lockedUntil;
  const next = { ...current, attempts, lockedUntil };
  return { result: 'wrong', record: next, attemptsLeft: left(next) };
}
