import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors';

/**
 * Proof that the customer confirmed spending points with a one-time code: issued when the code is
 * verified, carried by the confirm. Customer, points, expiry and a nonce signed with the server
 * secret; the confirm records the nonce so that one code pays one purchase.
 */

const mac = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(`redemption:${payload}`).digest('base64url');

export function issueRedemptionToken(
  secret: string,
  input: { customerId: number; points: number; expiresAt: Date },
): string {
  const nonce = randomBytes(12).toString('base64url');
  const payload = `${input.customerId}.${input.points}.${Math.floor(input.expiresAt.getTime() / 1000)}.${nonce}`;
  return `${payload}.${mac(secret, payload)}`;
}

/**
 * Throws 403 `redemption_code_required` unless the token covers spending `points` for the customer
 * now; returns its nonce, for the caller to record as used.
 */
export function checkRedemptionToken(
  secret: string,
  token: string | undefined,
  input: { customerId: number; points: number; now: Date },
): string {
  const refuse = (why: string): never => {
    throw new DomainError('redemption_code_required', why, 403, 'redemptionToken');
  };
  if (token === undefined)
    return refuse('spending this many points needs a one-time code sent to the customer');
  const parts = token.split('.');
  if (parts.length !== 5) return refuse('malformed redemption token');
  const [customerId, points, expires, nonce, signature] = parts as [string, string, string, string, string];
  const expected = Buffer.from(mac(secret, `${customerId}.${points}.${expires}.${nonce}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return refuse('invalid redemption token');
  if (Number(customerId) !== input.customerId) return refuse('the token is for another customer');
  if (Number(points) < input.points) return refuse(`the token covers ${points} points`);
  if (Number(expires) * 1000 <= input.now.getTime()) return refuse('the redemption token has expired');
  return nonce;
}
