import { randomInt } from 'node:crypto';
import { issueCode, verifyCode, type OneTimeCodeRecord } from '../../engine/customers/one-time-code';
import { maskEmail, maskPhone } from '../../engine/customers/mask';
import { DomainError } from '../../engine/errors';
import type { ChannelKind } from '../../engine/messaging/contracts';
import type { Trx } from '../ledger/store';
import { queueMessage, type MessagingContext } from '../messaging/queue';

export interface CodePolicy {
  ttlSeconds: number;
  length: number;
  maxAttempts: number;
  lockoutSeconds: number;
  /** Codes one customer may request per hour and channel. */
  perHour: number;
}

export const defaultCodePolicy: CodePolicy = {
  ttlSeconds: 300,
  length: 6,
  maxAttempts: 5,
  lockoutSeconds: 900,
  perHour: 5,
};

const secureRandom = () => randomInt(0, 2 ** 32) / 2 ** 32;

async function contactOf(trx: Trx, customerId: number, channel: 'phone' | 'email') {
  const contact = await trx
    .selectFrom('identifiers')
    .select(['id', 'value'])
    .where('customer_id', '=', customerId)
    .where('kind', '=', channel)
    .orderBy('id')
    .executeTakeFirst();
  if (!contact) throw new DomainError('no_contact', `the customer has no ${channel}`, 422, 'channel');
  return contact;
}

async function codesThisHour(
  trx: Trx,
  customerId: number,
  channel: 'phone' | 'email',
  now: Date,
): Promise<number> {
  const recent = await trx
    .selectFrom('one_time_codes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('channel', '=', channel)
    .where('created_at', '>', new Date(now.getTime() - 3_600_000))
    .executeTakeFirstOrThrow();
  return Number(recent.n);
}

/** The messaging channel of a contact kind. */
const channelOf = (kind: 'phone' | 'email') => (kind === 'phone' ? 'sms' : 'email');

/**
 * Issues a code and queues its message in the caller's transaction: the sender submits it once the
 * transaction commits, never before. Only a salted HMAC of the code is stored; the message's text is
 * sealed until it has left and masked in the log. No channel able to deliver it is a 503.
 */
async function issueAndQueue(
  trx: Trx,
  input: {
    programId: number;
    customerId: number;
    channel: 'phone' | 'email';
    purpose: string;
    destination: string;
    now: Date;
    secret: string;
    messaging: MessagingContext;
    policy: CodePolicy;
    /** Unique per issue: the message's idempotency key. */
    issueKey: string;
    /** Channels tried before the contact's own (a linked Viber or Telegram chat). */
    preferred?: readonly ChannelKind[] | undefined;
  },
) {
  const { code, record } = issueCode({
    ...input.policy,
    now: input.now,
    secret: input.secret,
    random: secureRandom,
  });
  const stored = await trx
    .insertInto('one_time_codes')
    .values({
      program_id: input.programId,
      customer_id: input.customerId,
      purpose: input.purpose,
      channel: input.channel,
      destination: input.destination,
      record: JSON.stringify(record),
      created_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const queued = await queueMessage(
    trx,
    input.messaging,
    {
      programId: input.programId,
      customerId: input.customerId,
      template: 'one-time-code',
      kind: 'one-time-code',
      destination: { channel: channelOf(input.channel), value: input.destination },
      channels: [...(input.preferred ?? []), channelOf(input.channel)],
      idempotencyKey: `one-time-code:${stored.id}:${input.issueKey}`,
      occurredAt: input.now,
      secret: { code, oneTimeCodeId: stored.id },
    },
    input.now,
  );
  return { record, queued };
}

/**
 * Sends a one-time code to the customer's phone or e-mail. Only a salted HMAC of the code is stored;
 * a customer may ask for `perHour` codes an hour per channel.
 */
export async function startVerification(
  trx: Trx,
  input: {
    programId: number;
    customerId: number;
    channel: 'phone' | 'email';
    purpose: string;
    now: Date;
    secret: string;
    messaging: MessagingContext;
    policy?: CodePolicy;
    /**
     * Channels tried before the contact's own: a code that only proves the customer is present
     * (spending points) may go to their linked Viber or Telegram chat; one that verifies a contact may not.
     */
    preferred?: readonly ChannelKind[];
  },
): Promise<{ channel: 'phone' | 'email'; sentTo: string; expiresAt: string }> {
  const policy = input.policy ?? defaultCodePolicy;
  const contact = await contactOf(trx, input.customerId, input.channel);
  await trx.selectFrom('customers').select('id').where('id', '=', input.customerId).forUpdate().execute();
  if ((await codesThisHour(trx, input.customerId, input.channel, input.now)) >= policy.perHour) {
    throw new DomainError('too_many_codes', `at most ${policy.perHour} codes an hour`, 429, 'channel');
  }
  const { record, queued } = await issueAndQueue(trx, {
    ...input,
    destination: contact.value,
    policy,
    issueKey: 'first',
  });
  const bot = queued.channel === 'viber' || queued.channel === 'telegram';
  return {
    channel: input.channel,
    sentTo: bot
      ? queued.sentTo
      : input.channel === 'phone'
        ? maskPhone(contact.value)
        : maskEmail(contact.value),
    expiresAt: record.expiresAt,
  };
}

/**
 * A code whose message was interrupted after `sending` (it may or may not have left) is not sent
 * again: a new code replaces it, so the customer never holds two valid codes from one request.
 */
export async function reissueCode(
  trx: Trx,
  input: { oneTimeCodeId: number; now: Date; secret: string; messaging: MessagingContext },
): Promise<void> {
  const previous = await trx
    .selectFrom('one_time_codes')
    .selectAll()
    .where('id', '=', input.oneTimeCodeId)
    .executeTakeFirstOrThrow();
  const record = previous.record as unknown as OneTimeCodeRecord;
  // A code already used or past its time needs no successor.
  if (record.consumedAt !== null || Date.parse(record.expiresAt) <= input.now.getTime()) return;
  // Nor one whose customer had the hour's codes already: an SMSC that swallows every message must not
  // turn into a code every few seconds.
  if (
    (await codesThisHour(trx, previous.customer_id, previous.channel, input.now)) >= defaultCodePolicy.perHour
  )
    return;
  await issueAndQueue(trx, {
    programId: previous.program_id,
    customerId: previous.customer_id,
    channel: previous.channel as 'phone' | 'email',
    purpose: previous.purpose,
    destination: previous.destination,
    now: input.now,
    secret: input.secret,
    messaging: input.messaging,
    policy: defaultCodePolicy,
    issueKey: `reissue-of-${previous.id}`,
  });
}

/**
 * Checks a code against the latest one sent for the purpose and channel. The attempt is stored
 * whatever the outcome (so wrong guesses count and lock); on success the contact is marked verified.
 */
export async function confirmVerification(
  trx: Trx,
  input: {
    customerId: number;
    channel: 'phone' | 'email';
    purpose: string;
    code: string;
    now: Date;
    secret: string;
    policy?: CodePolicy;
  },
): Promise<{
  verified: boolean;
  result: 'ok' | 'wrong' | 'expired' | 'locked' | 'consumed' | 'no_code';
  attemptsLeft: number;
}> {
  const policy = input.policy ?? defaultCodePolicy;
  const latest = await trx
    .selectFrom('one_time_codes')
    .select(['id', 'record', 'destination'])
    .where('customer_id', '=', input.customerId)
    .where('purpose', '=', input.purpose)
    .where('channel', '=', input.channel)
    .orderBy('id', 'desc')
    .forUpdate()
    .executeTakeFirst();
  if (!latest) return { verified: false, result: 'no_code', attemptsLeft: 0 };
  const outcome = verifyCode(
    latest.record as unknown as OneTimeCodeRecord,
    input.code,
    input.now,
    policy.lockoutSeconds,
    input.secret,
  );
  await trx
    .updateTable('one_time_codes')
    .set({ record: JSON.stringify(outcome.record) })
    .where('id', '=', latest.id)
    .execute();
  if (outcome.result === 'ok') {
    await trx
      .updateTable('identifiers')
      .set({ verified_at: input.now })
      .where('customer_id', '=', input.customerId)
      .where('kind', '=', input.channel)
      .where('value', '=', latest.destination)
      .execute();
  }
  return { verified: outcome.result === 'ok', result: outcome.result, attemptsLeft: outcome.attemptsLeft };
}
