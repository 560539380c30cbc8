import type { Kysely, Selectable } from 'kysely';
import { DomainError } from '../../engine/errors';
import type { MessageLogItem } from '../../engine/messaging/message-contracts';
import type { Database, MessageTable } from '../schema';
import { maskedDestination } from './queue';

type Row = Selectable<MessageTable> & { template_key: string | null };

const iso = (value: Date | null) => (value ? value.toISOString() : null);

function item(row: Row): MessageLogItem {
  return {
    id: row.id,
    customerId: row.customer_id,
    channel: row.channel,
    purpose: row.purpose,
    kind: row.kind,
    topic: row.topic,
    template:
      row.template_key ?? (row.payload as { request?: { template?: string } }).request?.template ?? null,
    templateVersion: row.template_version,
    locale: row.locale,
    campaign: row.campaign,
    status: row.status,
    reason: row.reason,
    sentTo: maskedDestination(row.channel, row.destination),
    subject: row.subject,
    body: row.body,
    parts: row.parts,
    previousMessageId: row.previous_message_id,
    occurredAt: row.occurred_at.toISOString(),
    queuedAt: row.queued_at.toISOString(),
    notBefore: row.not_before.toISOString(),
    sentAt: iso(row.sent_at),
    deliveredAt: iso(row.delivered_at),
    failedAt: iso(row.failed_at),
    openedAt: iso(row.opened_at),
    clickedAt: iso(row.clicked_at),
    seenAt: iso(row.seen_at),
  };
}

function logQuery(db: Kysely<Database>, programId: number) {
  return db
    .selectFrom('messages')
    .leftJoin('message_templates', 'message_templates.id', 'messages.template_id')
    .selectAll('messages')
    .select('message_templates.key as template_key')
    .where('messages.program_id', '=', programId);
}

/** A page of the log, newest first: one customer's messages or one campaign's. */
export async function messageLog(
  db: Kysely<Database>,
  input: {
    programId: number;
    customerId?: number | undefined;
    campaign?: string | undefined;
    status?: MessageLogItem['status'] | undefined;
    cursor?: number | undefined;
    limit: number;
  },
): Promise<{ items: MessageLogItem[]; nextCursor: number | null }> {
  const rows = await logQuery(db, input.programId)
    .$if(input.customerId !== undefined, (q) => q.where('messages.customer_id', '=', input.customerId!))
    .$if(input.campaign !== undefined, (q) => q.where('messages.campaign', '=', input.campaign!))
    .$if(input.status !== undefined, (q) => q.where('messages.status', '=', input.status!))
    .$if(input.cursor !== undefined, (q) => q.where('messages.id', '<', input.cursor!))
    .orderBy('messages.id', 'desc')
    .limit(input.limit + 1)
    .execute();
  const items = rows.slice(0, input.limit).map(item);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.id : null };
}

/** One message with every change it went through (status, receipts, opens, clicks, fallbacks). */
export async function messageDetail(db: Kysely<Database>, programId: number, id: number) {
  const row = await logQuery(db, programId).where('messages.id', '=', id).executeTakeFirst();
  if (!row) throw new DomainError('message_not_found', `no message ${id} in this program`, 404, 'id');
  const events = await db
    .selectFrom('message_events')
    .select(['kind', 'at', 'detail'])
    .where('message_id', '=', id)
    .orderBy('id')
    .execute();
  return {
    ...item(row),
    events: events.map((e) => ({ kind: e.kind, at: e.at.toISOString(), detail: e.detail })),
  };
}

/** How a campaign's messages fared: by status, by channel, skipped by reason, opens, clicks, reads. */
export async function campaignSummary(db: Kysely<Database>, programId: number, campaign: string) {
  const rows = await db
    .selectFrom('messages')
    .select((eb) => [
      'status',
      'channel',
      'reason',
      eb.fn.countAll<string>().as('n'),
      eb.fn.count<string>('opened_at').as('opened'),
      eb.fn.count<string>('clicked_at').as('clicked'),
      eb.fn.count<string>('seen_at').as('seen'),
    ])
    .where('program_id', '=', programId)
    .where('campaign', '=', campaign)
    .groupBy(['status', 'channel', 'reason'])
    .execute();
  const summary = {
    campaign,
    byStatus: {} as Record<string, number>,
    byChannel: {} as Record<string, number>,
    skippedBy: {} as Record<string, number>,
    opened: 0,
    clicked: 0,
    seen: 0,
  };
  const add = (into: Record<string, number>, key: string, n: number) => (into[key] = (into[key] ?? 0) + n);
  for (const row of rows) {
    const n = Number(row.n);
    add(summary.byStatus, row.status, n);
    add(summary.byChannel, row.channel, n);
    if (row.status === 'skipped') add(summary.skippedBy, row.reason ?? 'unknown', n);
    summary.opened += Number(row.opened);
    summary.clicked += Number(row.clicked);
    summary.seen += Number(row.seen);
  }
  return summary;
}
