import { sql, type Kysely } from 'kysely';
import { consentDecision } from '../../engine/messaging/consent';
import type { ChannelKind, MessagePurpose, MessagingPolicy } from '../../engine/messaging/contracts';
import { programSettings } from '../../engine/contracts/program-settings';
import type { Database } from '../schema';
import { consentStates } from './consents';
import { unseal } from './sealed';

/** A message the sender took: rendered, allowed, and marked `sending` before it is submitted. */
export interface ClaimedMessage {
  id: number;
  programId: number;
  customerId: number | null;
  channel: ChannelKind;
  providerId: number | null;
  purpose: MessagePurpose;
  kind: string;
  destination: string;
  subject: string | null;
  text: string;
  html: string | null;
  imageUrl: string | null;
  button: { text: string; url: string } | null;
  headers: Record<string, string>;
  attempts: number;
}

export interface ClaimOptions {
  secret: string;
  now: Date;
  limit: number;
}

async function addEvents(
  db: Kysely<Database>,
  ids: readonly number[],
  kind: string,
  at: Date,
  detail: Record<string, unknown> = {},
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .insertInto('message_events')
    .values(ids.map((id) => ({ message_id: id, kind, at, detail: JSON.stringify(detail) })))
    .execute();
}

/**
 * Takes up to `limit` due messages in one short transaction: rows other senders hold are skipped, a
 * marketing message whose consent was withdrawn since it was queued is `skipped` with that reason,
 * the rest are `sending` (recorded before any provider is asked, so a crash leaves a trace the
 * recovery turns into `unknown`) and returned with their sealed text opened.
 */
export async function claimDueMessages(
  db: Kysely<Database>,
  options: ClaimOptions,
): Promise<ClaimedMessage[]> {
  return db.transaction().execute(async (trx) => {
    // Right after a campaign's bulk insert the statistics still expect a few due rows, and the planner
    // sorts every due message for each claim of a few hundred (100 ms instead of 0.4 ms); the index
    // `messages_due` gives them in order.
    await sql`set local enable_sort = off`.execute(trx);
    const due = (purpose: MessagePurpose, limit: number) =>
      trx
        .selectFrom('messages')
        .select([
          'messages.id',
          'messages.program_id',
          'messages.customer_id',
          'messages.channel',
          'messages.provider_id',
          'messages.purpose',
          'messages.topic',
          'messages.kind',
          'messages.destination',
          'messages.subject',
          'messages.body',
          'messages.html',
          'messages.sealed_body',
          'messages.payload',
          'messages.attempts',
        ])
        .where('messages.status', '=', 'queued')
        .where('messages.channel', '<>', 'receipt')
        .where('messages.purpose', '=', purpose)
        .where('messages.not_before', '<=', options.now)
        .orderBy('messages.not_before')
        .orderBy('messages.id')
        .limit(limit)
        .forUpdate('messages')
        .skipLocked()
        .execute();
    // Codes and links first: a customer at the till must not wait behind a campaign's backlog.
    const urgent = await due('transactional', options.limit);
    const rows =
      urgent.length < options.limit
        ? [...urgent, ...(await due('marketing', options.limit - urgent.length))]
        : urgent;
    if (rows.length === 0) return [];
    const marketing = rows.filter((row) => row.purpose === 'marketing' && row.customer_id !== null);
    const states = await consentStates(trx, [...new Set(marketing.map((row) => row.customer_id!))]);
    const refused = new Map<number, string>();
    // Each program's settings read and parsed once per claim, not carried on every row.
    const programIds = [...new Set(marketing.map((row) => row.program_id))];
    const programs = programIds.length
      ? await trx
          .selectFrom('programs')
          .select(['id', 'settings'])
          .where('id', '=', (eb) => eb.fn.any(eb.val(programIds)))
          .execute()
      : [];
    const legalBasis = new Map<number, MessagingPolicy['legalBasis']>(
      programs.map((p) => [p.id, programSettings(p.settings).messaging.legalBasis]),
    );
    for (const row of marketing) {
      const decision = consentDecision({
        purpose: 'marketing',
        channel: row.channel,
        topic: row.topic,
        legalBasis: legalBasis.get(row.program_id)!,
        states: states.get(row.customer_id!) ?? [],
      });
      if (!decision.allowed)
        refused.set(row.id, decision.reason === 'no_consent' ? 'no_consent' : 'consent_withdrawn');
    }
    for (const reason of new Set(refused.values())) {
      const ids = [...refused].filter(([, r]) => r === reason).map(([id]) => id);
      await trx
        .updateTable('messages')
        .set({ status: 'skipped', reason, sealed_body: null })
        .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
        .execute();
      await addEvents(trx, ids, 'skipped', options.now, { reason, when: 'before sending' });
    }
    const claimed = rows.filter((row) => !refused.has(row.id));
    if (claimed.length === 0) return [];
    const ids = claimed.map((row) => row.id);
    await trx
      .updateTable('messages')
      .set((eb) => ({ status: 'sending', sending_at: options.now, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
      .execute();
    return claimed.map((row) => {
      const sealed = row.sealed_body
        ? (JSON.parse(unseal(options.secret, row.sealed_body)) as {
            subject?: string;
            text: string;
            html?: string | null;
            imageUrl?: string;
            button?: { text: string; url: string };
          })
        : null;
      const payload = row.payload as {
        imageUrl?: string;
        button?: { text: string; url: string };
        headers?: Record<string, string>;
      };
      return {
        id: row.id,
        programId: row.program_id,
        customerId: row.customer_id,
        channel: row.channel,
        providerId: row.provider_id,
        purpose: row.purpose,
        kind: row.kind,
        destination: row.destination,
        subject: sealed ? (sealed.subject ?? null) : row.subject,
        text: sealed ? sealed.text : row.body,
        html: sealed ? (sealed.html ?? null) : row.html,
        imageUrl: (sealed ? sealed.imageUrl : payload.imageUrl) ?? null,
        button: (sealed ? sealed.button : payload.button) ?? null,
        headers: payload.headers ?? {},
        attempts: row.attempts + 1,
      };
    });
  });
}

export type SendResult =
  | { id: number; ok: true; providerMessageId: string | null; parts: number }
  | { id: number; ok: false; reason: string; permanent: boolean; uncertain: boolean };

/** Transient failures are retried this many times in all, waiting longer each time. */
export const maxAttempts = 5;
const retryDelayMs = (attempt: number) => Math.min(30_000 * 2 ** (attempt - 1), 30 * 60_000);

/**
 * Records what the providers answered, in one transaction for the batch: `sent` with the provider's
 * id (the sealed text is dropped: it has left), a transient failure back to `queued` later, and a
 * permanent one (or the last attempt) `failed` — the caller then moves it along its fallback chain.
 * Returns the ids that failed for good.
 */
export async function recordSendResults(
  db: Kysely<Database>,
  results: readonly SendResult[],
  attemptsById: ReadonlyMap<number, number>,
  now: Date,
): Promise<number[]> {
  const sent = results.filter((r): r is Extract<SendResult, { ok: true }> => r.ok);
  // An uncertain failure is neither retried nor failed: the caller settles it as `unknown`.
  const failed = results.filter((r): r is Extract<SendResult, { ok: false }> => !r.ok && !r.uncertain);
  const final = failed.filter((r) => r.permanent || (attemptsById.get(r.id) ?? maxAttempts) >= maxAttempts);
  const retried = failed.filter((r) => !final.includes(r));
  const failedIds: number[] = [];
  await db.transaction().execute(async (trx) => {
    if (sent.length) {
      await sql`update messages m set status = 'sent', sent_at = ${now}, sealed_body = null,
          provider_message_id = s.provider_message_id, parts = s.parts
        from unnest(${sent.map((r) => r.id)}::bigint[], ${sent.map((r) => r.providerMessageId)}::text[],
          ${sent.map((r) => r.parts)}::int[]) as s(id, provider_message_id, parts)
        where m.id = s.id and m.status = 'sending'`.execute(trx);
    }
    for (const r of retried) {
      const attempt = attemptsById.get(r.id) ?? 1;
      await trx
        .updateTable('messages')
        .set({
          status: 'queued',
          reason: r.reason,
          not_before: new Date(now.getTime() + retryDelayMs(attempt)),
        })
        .where('id', '=', r.id)
        .where('status', '=', 'sending')
        .execute();
      await addEvents(trx, [r.id], 'retry', now, { reason: r.reason, attempt });
    }
    for (const r of final) {
      // Recovery may have settled it `unknown` meanwhile (a round longer than the lease): left so.
      const updated = await trx
        .updateTable('messages')
        .set({ status: 'failed', reason: r.reason, failed_at: now, sealed_body: null })
        .where('id', '=', r.id)
        .where('status', '=', 'sending')
        .returning('id')
        .executeTakeFirst();
      if (!updated) continue;
      await addEvents(trx, [r.id], 'failed', now, { reason: r.reason });
      failedIds.push(r.id);
    }
  });
  return failedIds;
}
