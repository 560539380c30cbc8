import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { customerProfileSchema } from '../../engine/contracts/customer';
import { questionnaireOf } from '../../engine/contracts/program-settings';
import { maskPhone } from '../../engine/customers/mask';
import { validateAnswers } from '../../engine/customers/questionnaire';
import { DomainError } from '../../engine/errors';
import type { Trx } from '../ledger/store';
import { appendToOutbox, customerStream } from '../outbox';
import { loadProgram, type ProgramInfo } from '../programs';
import type { Database } from '../schema';
import { randomToken } from '../secrets';
import { queueMessage, type MessagingContext } from '../messaging/queue';
import type { ChannelKind } from '../../engine/messaging/contracts';
import { recordAudit } from '../audit';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** A one-time activation link token for a customer the till registered with a phone only. */
export async function createActivationToken(
  trx: Trx,
  program: ProgramInfo,
  customerId: number,
  now: Date,
): Promise<string> {
  const token = randomToken(32);
  await trx
    .insertInto('activation_tokens')
    .values({
      token_hash: tokenHash(token),
      program_id: program.id,
      customer_id: customerId,
      created_at: now,
      expires_at: new Date(now.getTime() + program.settings.activationLinkDays * 86_400_000),
    })
    .execute();
  return token;
}

/** Where a pending customer's activation link points and how it is sent. */
export interface ActivationDelivery {
  webUrl: string;
  messaging: MessagingContext;
}

/**
 * A new activation link, queued to the customer on the first of `channels` that can deliver it (the
 * seeds' deferred activation: "the customer gets an SMS with a link"). When none can, the customer
 * is still registered and the till has the token to print: `message` is null.
 */
export async function sendActivationLink(
  trx: Trx,
  program: ProgramInfo,
  customerId: number,
  at: Date,
  delivery: ActivationDelivery,
  channels: readonly ChannelKind[],
): Promise<{ token: string; message: { messageId: number; channel: ChannelKind; sentTo: string } | null }> {
  const token = await createActivationToken(trx, program, customerId, at);
  const url = `${delivery.webUrl}/activate/${token}`;
  try {
    const queued = await queueMessage(
      trx,
      delivery.messaging,
      {
        programId: program.id,
        customerId,
        template: 'activation-link',
        kind: 'activation-link',
        channels,
        idempotencyKey: `activation-link:${tokenHash(token)}`,
        occurredAt: at,
        secret: { link: { url, token } },
      },
      at,
    );
    return {
      token,
      message: { messageId: queued.messageId, channel: queued.channel, sentTo: queued.sentTo },
    };
  } catch (error) {
    if (error instanceof DomainError && error.code === 'channel_unavailable') return { token, message: null };
    throw error;
  }
}

/** Sends a pending customer a fresh link (the first was lost or expired); only a pending customer has one. */
export async function resendActivationLink(
  trx: Trx,
  input: {
    program: ProgramInfo;
    customerId: number;
    at: Date;
    delivery: ActivationDelivery;
    channels: readonly ChannelKind[];
  },
) {
  const customer = await trx
    .selectFrom('customers')
    .select('status')
    .where('id', '=', input.customerId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (customer.status !== 'pending') {
    throw new DomainError('not_pending', 'the customer has finished registration already', 409, 'customer');
  }
  const sent = await sendActivationLink(
    trx,
    input.program,
    input.customerId,
    input.at,
    input.delivery,
    input.channels,
  );
  if (!sent.message) {
    throw new DomainError(
      'channel_unavailable',
      `no channel can deliver the link now (${input.channels.join(', ')})`,
      503,
      'channels',
    );
  }
  return sent.message;
}

export interface PendingActivation {
  customerId: number;
  program: ProgramInfo;
  maskedPhone: string | null;
}

/** The customer behind a link, or an error saying why the link no longer works. */
export async function findActivation(
  db: Kysely<Database>,
  token: string,
  now: Date,
): Promise<PendingActivation> {
  const row = await db
    .selectFrom('activation_tokens')
    .innerJoin('customers', 'customers.id', 'activation_tokens.customer_id')
    .select([
      'activation_tokens.customer_id',
      'activation_tokens.program_id',
      'activation_tokens.expires_at',
      'activation_tokens.used_at',
      'customers.status',
    ])
    .where('token_hash', '=', tokenHash(token))
    .executeTakeFirst();
  if (!row) throw new DomainError('activation_not_found', 'this activation link is not valid', 404, 'token');
  if (row.used_at || row.status !== 'pending')
    throw new DomainError('activation_used', 'this link was already used', 410, 'token');
  if (row.expires_at <= now)
    throw new DomainError('activation_expired', 'this activation link has expired', 410, 'token');
  const phone = await db
    .selectFrom('identifiers')
    .select('value')
    .where('customer_id', '=', row.customer_id)
    .where('kind', '=', 'phone')
    .executeTakeFirst();
  return {
    customerId: row.customer_id,
    program: await loadProgram(db, row.program_id),
    maskedPhone: phone ? maskPhone(phone.value) : null,
  };
}

/**
 * Finishes a deferred registration: the customer's own profile and questionnaire answers, validated
 * against the program's questionnaire; the link is used up and the customer becomes active.
 */
export async function completeActivation(
  trx: Trx,
  input: { token: string; profile: unknown; questionnaire: unknown; now: Date },
): Promise<{ customerId: number }> {
  const pending = await findActivation(trx, input.token, input.now);
  const parsed = customerProfileSchema.safeParse(input.profile);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DomainError('invalid_profile', issue.message, 422, ['profile', ...issue.path].join('.'));
  }
  const answers = validateAnswers(questionnaireOf(pending.program.settings), input.questionnaire ?? {}).value;
  const updated = await trx
    .updateTable('customers')
    .set({ profile: JSON.stringify(parsed.data), questionnaire: JSON.stringify(answers), status: 'active' })
    .where('id', '=', pending.customerId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n)
    throw new DomainError('activation_used', 'this link was already used', 410, 'token');
  await trx
    .updateTable('activation_tokens')
    .set({ used_at: input.now })
    .where('token_hash', '=', tokenHash(input.token))
    .execute();
  await recordAudit(trx, {
    programId: pending.program.id,
    actor: `customer:${pending.customerId}`,
    action: 'customer.activate',
    subject: `customer:${pending.customerId}`,
    changes: {
      profileFields: Object.keys(parsed.data),
      questionnaireFields: Object.keys(answers),
    },
    occurredAt: input.now,
  });
  await appendToOutbox(trx, {
    programId: pending.program.id,
    stream: customerStream(pending.program.id, String(pending.customerId)),
    type: 'customer.activated',
    payload: { customerId: pending.customerId },
    occurredAt: input.now,
  });
  return { customerId: pending.customerId };
}
