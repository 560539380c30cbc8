import { randomBytes } from 'node:crypto';
import { sql, type Insertable } from 'kysely';
import { DomainError } from '../../engine/errors';
import { consentDecision, type ConsentState } from '../../engine/messaging/consent';
import type { ChannelKind } from '../../engine/messaging/contracts';
import { unsubscribeHeaders } from '../../engine/messaging/email-tracking';
import { sendingDecision, type SkipReason } from '../../engine/messaging/sending-rules';
import type { TemplateVariables } from '../../engine/messaging/template-catalogue';
import { renderTemplate, templateRoots } from '../../engine/messaging/templates';
import type { Trx } from '../ledger/store';
import { loadProgram, type ProgramInfo } from '../programs';
import type { Database } from '../schema';
import { consentStates } from './consents';
import { customerReaches, type CustomerReach } from './customer-reach';
import {
  candidateChannels,
  isSystemTemplate,
  maskedDestination,
  recentMarketing,
  resolveTemplate,
  trackedHtml,
  type ResolvedTemplate,
} from './queue-parts';
import { activeProviders } from './providers';
import { seal } from './sealed';
import { customerVariables, programVariables, templateVariables } from './template-variables';

export { maskedDestination, trackedLinkSignature } from './queue-parts';

/** What the messaging layer needs from the process it runs in. */
export interface MessagingContext {
  /** The server secret: seals what must not be stored readable, signs tracking links. */
  secret: string;
  /** The engine API's public base URL, for tracking and unsubscribe links. */
  apiUrl: string;
  /** Channels the platform delivers without a provider of the program's (the local sink of `npm start`). */
  defaultChannels: readonly ChannelKind[];
}

/** What every message of a send shares: one program, one template, one cause. */
export interface SendSpec {
  programId: number;
  /** A template of the program, or a system template (one-time-code, activation-link, channel-link). */
  template: string;
  /** Channels in order of preference; left out: the program's fallback order, then the rest. */
  channels?: readonly ChannelKind[] | undefined;
  /** `template`, `one-time-code`, `activation-link`, `channel-link`. */
  kind: string;
  /** What sent it (`journey:12`, `campaign:spring`): per-campaign logs and reports. */
  campaign?: string | null | undefined;
  /** The business time of its cause. */
  occurredAt: Date;
  /** Values beside the customer's own: a link. */
  variables?: Partial<TemplateVariables> | undefined;
}

/** One customer of a send. */
export interface Recipient {
  customerId: number;
  /** Unique in the program: queueing twice with one key queues once. */
  idempotencyKey: string;
  /** The contact to use on that channel (the phone being verified) instead of the customer's first. */
  destination?: { channel: ChannelKind; value: string } | undefined;
  couponId?: number | undefined;
  /** The message this one replaces on the next channel of its fallback chain. */
  previousMessageId?: number | undefined;
  /**
   * What only the customer may read — a one-time code, a link carrying a one-time token (activation,
   * bot link): rendered into the text that is sent (sealed while it waits), masked in the log staff read.
   */
  secret?: { code?: string; oneTimeCodeId?: number; link?: { url: string; token: string } } | undefined;
}

export type QueueRequest = SendSpec & Recipient;

export interface QueuedMessage {
  messageId: number;
  channel: ChannelKind;
  status: 'queued' | 'skipped';
  reason: SkipReason | null;
  /** Masked: a phone or an address as staff may see it. */
  sentTo: string;
  notBefore: string;
}

/** The sender LISTENs here for transactional messages. */
export const messagesQueuedChannel = 'loyalflow_messages';

const maskedCode = '••••••';
/** Roots a template may read that the batch builds without reading the customer's accounts. */
const cheapRoots = new Set(['customer', 'program', 'code', 'link', 'unsubscribeUrl', 'message']);

type Row = Insertable<Database['messages']>;

interface Batch {
  trx: Trx;
  context: MessagingContext;
  spec: SendSpec;
  program: ProgramInfo;
  template: ResolvedTemplate;
  reaches: Map<number, CustomerReach>;
  providers: Map<string, number>;
  states: Map<number, ConsentState[]>;
  recent: { byCustomer: Map<number, number>; program: number };
  now: Date;
  /** Variables of the batch's customers when the template reads only what the batch has read. */
  cheap: boolean;
  programVariables: TemplateVariables['program'];
}

/** The channel a recipient's message goes on and the rest of its chain, or why none can take it. */
function chooseChannel(batch: Batch, recipient: Recipient, reach: CustomerReach) {
  const { template, program, context } = batch;
  const destinationOf = (channel: ChannelKind) =>
    recipient.destination?.channel === channel ? recipient.destination.value : reach.destinations[channel];
  const deliverable = (channel: ChannelKind) =>
    channel === 'receipt' || batch.providers.has(channel) || context.defaultChannels.includes(channel);
  const asked = batch.spec.channels ?? (recipient.destination ? [recipient.destination.channel] : undefined);
  const candidates = candidateChannels(asked, program, template.content);
  let refusal: SkipReason = candidates.length ? 'no_destination' : 'no_provider';
  const usable: ChannelKind[] = [];
  for (const channel of candidates) {
    let why: SkipReason | null = null;
    if (!destinationOf(channel)) why = 'no_destination';
    else if (!deliverable(channel)) why = 'no_provider';
    else {
      const consent = consentDecision({
        purpose: template.purpose,
        channel,
        topic: template.topic,
        legalBasis: program.settings.messaging.legalBasis,
        states: batch.states.get(recipient.customerId) ?? [],
      });
      if (!consent.allowed) why = consent.reason;
    }
    if (why === null) usable.push(channel);
    else if (usable.length === 0 && refusal === 'no_destination') refusal = why;
  }
  return { candidates, usable, refusal, destinationOf };
}

async function variablesOf(
  batch: Batch,
  recipient: Recipient,
  reach: CustomerReach,
): Promise<TemplateVariables> {
  const base = batch.cheap
    ? { customer: customerVariables(reach.customer, reach.contacts), program: batch.programVariables }
    : await templateVariables(batch.trx, {
        programId: batch.program.id,
        customerId: recipient.customerId,
        at: batch.spec.occurredAt,
        ...(recipient.couponId !== undefined ? { couponId: recipient.couponId } : {}),
      });
  return { ...base, ...batch.spec.variables };
}

/** Decides, renders and builds the row of one recipient's message. */
async function messageRow(
  batch: Batch,
  recipient: Recipient,
): Promise<Row & { reasonEvent: SkipReason | null }> {
  const { spec, program, template, context, now } = batch;
  const reach = batch.reaches.get(recipient.customerId);
  if (!reach)
    throw new DomainError('customer_not_found', 'no such customer in this program', 404, 'customer');
  const { candidates, usable, refusal, destinationOf } = chooseChannel(batch, recipient, reach);
  const channel = usable[0];
  if (!channel && template.purpose === 'transactional') {
    throw new DomainError(
      'channel_unavailable',
      `no channel can deliver this message now (${candidates.join(', ') || 'no channel'}: ${refusal.replace('_', ' ')}); configure a provider or add a contact`,
      503,
      'channel',
    );
  }
  const sendAt = spec.occurredAt > now ? spec.occurredAt : now;
  const timeZone = reach.timeZone ?? program.timeZone;
  const policy = program.settings.messaging;
  const customerRecent = batch.recent.byCustomer.get(recipient.customerId) ?? 0;
  const decision = channel
    ? sendingDecision({
        purpose: template.purpose,
        consent: { allowed: true },
        customerRecent,
        programRecent: batch.recent.program,
        policy,
        dueAt: sendAt,
        timeZone,
      })
    : ({ send: false, reason: refusal } as const);
  if (decision.send && template.purpose === 'marketing') {
    batch.recent.byCustomer.set(recipient.customerId, customerRecent + 1);
    batch.recent.program += 1;
  }

  const token = randomBytes(16).toString('base64url');
  const target = channel ?? candidates[0] ?? 'sms';
  const unsubscribeUrl = `${context.apiUrl}/m/u/${token}`;
  const variables = {
    ...(await variablesOf(batch, recipient, reach)),
    unsubscribeUrl,
    message: { id: token },
  };
  const locales = [reach.locale, program.settings.defaultLanguage];
  const render = (values: Partial<TemplateVariables>) =>
    template.content[target]
      ? renderTemplate(template.content, target, locales, { ...variables, ...values }, { timeZone })
      : { locale: program.settings.defaultLanguage, text: '' };
  const { secret } = recipient;
  const shown = render(
    secret
      ? {
          ...(secret.code ? { code: maskedCode } : {}),
          ...(secret.link ? { link: secret.link.url.replace(secret.link.token, maskedCode) } : {}),
        }
      : {},
  );
  // The real text, with the button and picture it links to, is sealed; the log shows the masked one.
  const real = secret
    ? render({
        ...(secret.code ? { code: secret.code } : {}),
        ...(secret.link ? { link: secret.link.url } : {}),
      })
    : null;
  const trackingAllowed =
    template.purpose === 'marketing' &&
    consentDecision({
      purpose: 'marketing',
      channel: 'email',
      topic: 'tracking',
      legalBasis: policy.legalBasis,
      states: batch.states.get(recipient.customerId) ?? [],
    }).allowed;
  const headers =
    target === 'email' && template.purpose === 'marketing' ? unsubscribeHeaders(unsubscribeUrl) : {};
  return {
    program_id: program.id,
    customer_id: recipient.customerId,
    channel: target,
    provider_id: channel && channel !== 'receipt' ? (batch.providers.get(channel) ?? null) : null,
    purpose: template.purpose,
    topic: template.topic,
    kind: spec.kind,
    template_id: template.id,
    template_version: template.version,
    locale: shown.locale,
    campaign: spec.campaign ?? null,
    idempotency_key: recipient.idempotencyKey,
    destination: (channel && destinationOf(channel)) || '',
    subject: shown.subject ?? null,
    body: shown.text,
    html: trackedHtml(shown, context, token, trackingAllowed),
    sealed_body: real
      ? seal(context.secret, JSON.stringify({ ...real, html: trackedHtml(real, context, token, false) }))
      : null,
    payload: JSON.stringify({
      request: {
        template: spec.template,
        // A sealed secret is not kept readable for a fallback to render again.
        ...(secret ? { sealed: true } : {}),
        ...(spec.variables ? { variables: spec.variables } : {}),
        ...(recipient.couponId !== undefined ? { couponId: recipient.couponId } : {}),
      },
      ...(shown.imageUrl ? { imageUrl: shown.imageUrl } : {}),
      ...(shown.button ? { button: shown.button } : {}),
      ...(Object.keys(headers).length ? { headers } : {}),
    }),
    status: decision.send ? 'queued' : 'skipped',
    reason: decision.send ? null : decision.reason,
    fallback: JSON.stringify(usable.slice(1)),
    one_time_code_id: secret?.oneTimeCodeId ?? null,
    previous_message_id: recipient.previousMessageId ?? null,
    not_before: decision.send ? decision.notBefore : now,
    tracking_token: token,
    occurred_at: spec.occurredAt,
    reasonEvent: decision.send ? null : decision.reason,
  };
}

const answerColumns = [
  'id',
  'channel',
  'status',
  'reason',
  'destination',
  'not_before',
  'idempotency_key',
] as const;

function answer(row: {
  id: number;
  channel: ChannelKind;
  status: string;
  reason: string | null;
  destination: string;
  not_before: Date;
}): QueuedMessage {
  return {
    messageId: row.id,
    channel: row.channel,
    status: row.status === 'skipped' ? 'skipped' : 'queued',
    reason: row.reason as SkipReason | null,
    sentTo: maskedDestination(row.channel, row.destination),
    notBefore: row.not_before.toISOString(),
  };
}

/**
 * Queues one template to many customers of a program in the caller's transaction, with a fixed number
 * of queries whatever their number (a campaign's page, a journey's batch): for each, the first channel
 * in order of preference that has content, a destination, a provider and (for marketing) consent; the
 * rendered text; the caps and quiet hours; a row in the log, `queued` or `skipped` with the reason. The
 * rest of the channels stay as each message's fallback. A transactional message no channel can
 * deliver is a 503 `channel_unavailable`: the caller's command rolls back and the till says so
 * instead of the customer waiting for a code that never comes. Answers in the recipients' order;
 * a recipient whose key was queued before gets that message.
 */
export async function queueMessages(
  trx: Trx,
  context: MessagingContext,
  spec: SendSpec,
  recipients: readonly Recipient[],
  now: Date,
): Promise<QueuedMessage[]> {
  if (spec.kind === 'template' && isSystemTemplate(spec.template)) {
    throw new DomainError(
      'system_template',
      `${spec.template} is sent by the platform itself`,
      422,
      'template',
    );
  }
  const keys = recipients.map((r) => r.idempotencyKey);
  const replayed = new Map(
    (
      await trx
        .selectFrom('messages')
        .select(answerColumns)
        .where('program_id', '=', spec.programId)
        .where('idempotency_key', '=', (eb) => eb.fn.any(eb.val(keys)))
        .execute()
    ).map((row) => [row.idempotency_key, row]),
  );
  const seen = new Set<string>();
  const fresh = recipients.filter((r) => {
    if (replayed.has(r.idempotencyKey) || seen.has(r.idempotencyKey)) return false;
    seen.add(r.idempotencyKey);
    return true;
  });
  if (fresh.length) {
    const program = await loadProgram(trx, spec.programId);
    const template = await resolveTemplate(trx, program.id, spec.template);
    const customerIds = [...new Set(fresh.map((r) => r.customerId))].sort((a, b) => a - b);
    // Caps and a customer's concurrent sends are decided one at a time per customer: lock in id order.
    await trx
      .selectFrom('customers')
      .select('id')
      .where('id', '=', (eb) => eb.fn.any(eb.val(customerIds)))
      .orderBy('id')
      .forUpdate()
      .execute();
    const sendAt = spec.occurredAt > now ? spec.occurredAt : now;
    const batch: Batch = {
      trx,
      context,
      spec,
      program,
      template,
      reaches: await customerReaches(trx, program.id, customerIds),
      providers: await activeProviders(trx, program.id),
      states: await consentStates(trx, customerIds),
      recent:
        template.purpose === 'marketing'
          ? await recentMarketing(trx, program, customerIds, sendAt)
          : { byCustomer: new Map(), program: 0 },
      now,
      cheap:
        fresh.every((r) => r.couponId === undefined) &&
        [...templateRoots(template.content)].every((root) => cheapRoots.has(root)),
      programVariables: await programVariables(trx, program.id),
    };
    const rows: Array<Row & { reasonEvent: SkipReason | null }> = [];
    for (const recipient of fresh) rows.push(await messageRow(batch, recipient));
    // A concurrent call with the same key (a retry racing its first try) committed first: answer its
    // message, as a replay would, instead of failing on the unique key.
    const inserted = await trx
      .insertInto('messages')
      .values(rows.map(({ reasonEvent: _, ...row }) => row))
      .onConflict((oc) => oc.columns(['program_id', 'idempotency_key']).doNothing())
      .returning(answerColumns)
      .execute();
    if (inserted.length < rows.length) {
      const written = new Set(inserted.map((row) => row.idempotency_key));
      const raced = rows.map((row) => row.idempotency_key).filter((key) => !written.has(key));
      for (const row of await trx
        .selectFrom('messages')
        .select(answerColumns)
        .where('program_id', '=', spec.programId)
        .where('idempotency_key', '=', (eb) => eb.fn.any(eb.val(raced)))
        .execute())
        replayed.set(row.idempotency_key, row);
    }
    const skipped = inserted.filter((row) => row.status === 'skipped');
    if (skipped.length) {
      await trx
        .insertInto('message_events')
        .values(
          skipped.map((row) => ({
            message_id: row.id,
            kind: 'skipped',
            at: now,
            detail: JSON.stringify({ reason: row.reason }),
          })),
        )
        .execute();
    }
    for (const row of inserted) replayed.set(row.idempotency_key, row);
    // A code or a link is awaited by someone at the till: wake the sender when (and only if) this
    // transaction commits. Marketing is left to the sender's polling: a NOTIFY takes a lock at every
    // commit that would serialise mass queueing.
    if (template.purpose === 'transactional' && inserted.some((row) => row.status === 'queued')) {
      await sql`select pg_notify(${messagesQueuedChannel}, '')`.execute(trx);
    }
  }
  return recipients.map((r) => answer(replayed.get(r.idempotencyKey)!));
}

/** One message to one customer: a send of one (`queueMessages`). */
export async function queueMessage(
  trx: Trx,
  context: MessagingContext,
  request: QueueRequest,
  now: Date,
): Promise<QueuedMessage> {
  const { customerId, idempotencyKey, destination, couponId, previousMessageId, secret, ...spec } = request;
  const [queued] = await queueMessages(
    trx,
    context,
    spec,
    [{ customerId, idempotencyKey, destination, couponId, previousMessageId, secret }],
    now,
  );
  return queued!;
}
