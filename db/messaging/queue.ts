import { createHmac, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { DomainError } from '../../engine/errors';
import { maskEmail, maskPhone } from '../../engine/customers/mask';
import { consentDecision } from '../../engine/messaging/consent';
import type { ChannelKind, MessagePurpose } from '../../engine/messaging/contracts';
import { trackEmailHtml, unsubscribeHeaders } from '../../engine/messaging/email-tracking';
import { sendingDecision, type SkipReason } from '../../engine/messaging/sending-rules';
import { systemTemplates } from '../../engine/messaging/system-templates';
import type { TemplateVariables } from '../../engine/messaging/template-catalogue';
import type { TemplateContent } from '../../engine/messaging/template-content';
import { renderTemplate, type RenderedMessage } from '../../engine/messaging/templates';
import type { Trx } from '../ledger/store';
import { loadProgram, type ProgramInfo } from '../programs';
import { consentStates } from './consents';
import { customerReach, type CustomerReach } from './customer-reach';
import { seal } from './sealed';
import { templateVariables } from './template-variables';

/** What the messaging layer needs from the process it runs in. */
export interface MessagingContext {
  /** The server secret: seals what must not be stored readable, signs tracking links. */
  secret: string;
  /** The engine API's public base URL, for tracking and unsubscribe links. */
  apiUrl: string;
  /** Channels the platform delivers without a provider of the program's (the local sink of `npm start`). */
  defaultChannels: readonly ChannelKind[];
}

export interface QueueRequest {
  programId: number;
  customerId: number;
  /** A template of the program, or a system template (one-time-code, activation-link, channel-link). */
  template: string;
  /** Channels in order of preference; left out: the program's fallback order, then the rest. */
  channels?: readonly ChannelKind[] | undefined;
  /** The contact to use on that channel (the phone being verified) instead of the customer's first. */
  destination?: { channel: ChannelKind; value: string } | undefined;
  /** `template`, `one-time-code`, `activation-link`, `channel-link`. */
  kind: string;
  /** What sent it (`journey:12`, `campaign:spring`): per-campaign logs and reports. */
  campaign?: string | null | undefined;
  /** Unique in the program: queueing twice with one key queues once. */
  idempotencyKey: string;
  /** The business time of its cause. */
  occurredAt: Date;
  /** Values beside the customer's own: a link, a coupon. */
  variables?: Partial<TemplateVariables> | undefined;
  couponId?: number | undefined;
  /** The message this one replaces on the next channel of its fallback chain. */
  previousMessageId?: number | undefined;
  /**
   * What only the customer may read — a one-time code, a link carrying a one-time token (activation,
   * bot link): rendered into the text that is sent (sealed while it waits), masked in the log staff read.
   */
  secret?: { code?: string; oneTimeCodeId?: number; link?: { url: string; token: string } } | undefined;
}

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

const channelOrder: readonly ChannelKind[] = ['sms', 'email', 'viber', 'telegram', 'receipt'];
const maskedCode = '••••••';

interface ResolvedTemplate {
  id: number | null;
  version: number | null;
  purpose: MessagePurpose;
  topic: string | null;
  content: TemplateContent;
}

async function resolveTemplate(trx: Trx, programId: number, key: string): Promise<ResolvedTemplate> {
  const row = await trx
    .selectFrom('message_templates as t')
    .innerJoin('message_template_versions as v', (join) =>
      join.onRef('v.template_id', '=', 't.id').onRef('v.version', '=', 't.version'),
    )
    .select(['t.id', 't.version', 't.purpose', 't.topic', 'v.content'])
    .where('t.program_id', '=', programId)
    .where('t.key', '=', key)
    .where('t.status', '=', 'active')
    .executeTakeFirst();
  if (row) {
    return {
      id: row.id,
      version: row.version,
      purpose: row.purpose,
      topic: row.topic,
      content: row.content as TemplateContent,
    };
  }
  const system = (systemTemplates as Record<string, TemplateContent>)[key];
  if (!system) throw new DomainError('template_not_found', `no active template "${key}"`, 404, 'template');
  return { id: null, version: null, purpose: 'transactional', topic: null, content: system };
}

function candidateChannels(request: QueueRequest, program: ProgramInfo, content: TemplateContent) {
  const preferred = request.channels?.length
    ? request.channels
    : request.destination
      ? [request.destination.channel]
      : [...program.settings.messaging.fallback, ...channelOrder];
  return [...new Set(preferred)].filter((channel) => content[channel] !== undefined);
}

/** A destination as staff may see it: a Viber user id or a Telegram chat id is not shown at all. */
export function maskedDestination(channel: ChannelKind, value: string): string {
  if (!value) return '';
  if (channel === 'sms') return maskPhone(value);
  if (channel === 'email') return maskEmail(value);
  return channel === 'receipt' ? 'next receipt' : `${channel} chat`;
}

/**
 * Marketing messages counted against the customer's and the program's caps: those whose business
 * time lies within the period before this one's (a campaign replayed later counts as it was meant).
 */
async function recentMarketing(trx: Trx, program: ProgramInfo, customerId: number, at: Date) {
  const { customerCap, programCap } = program.settings.messaging;
  const count = async (column: 'customer_id' | 'program_id', id: number, hours: number) => {
    const row = await trx
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where(column, '=', id)
      .where('purpose', '=', 'marketing')
      .where('status', '<>', 'skipped')
      .where('occurred_at', '>', new Date(at.getTime() - hours * 3_600_000))
      .where('occurred_at', '<=', at)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    customerRecent: customerCap ? await count('customer_id', customerId, customerCap.periodHours) : 0,
    programRecent: programCap ? await count('program_id', program.id, programCap.periodHours) : 0,
  };
}

/** Signs a tracked link so the redirect endpoint follows only links the platform wrote. */
export function trackedLinkSignature(secret: string, token: string, url: string): string {
  return createHmac('sha256', secret).update(`${token}\n${url}`).digest('base64url').slice(0, 22);
}

/** The e-mail's links and pixel through the tracking endpoints, when the customer allows tracking. */
function tracked(rendered: RenderedMessage, context: MessagingContext, token: string, track: boolean) {
  if (!rendered.html || !track) return rendered.html ?? null;
  const base = `${context.apiUrl}/m`;
  return trackEmailHtml(rendered.html, {
    openPixelUrl: `${base}/o/${token}.gif`,
    clickUrl: (url) =>
      `${base}/c/${token}?u=${encodeURIComponent(url)}&s=${trackedLinkSignature(context.secret, token, url)}`,
    keep: (url) => url.startsWith(`${base}/u/`),
  }).html;
}

/**
 * Queues one message to one customer in the caller's transaction: picks the first channel in order of
 * preference that has content, a destination, a provider and (for marketing) consent; renders it;
 * applies the caps and quiet hours; writes it to the log as `queued` (or `skipped` with the reason)
 * and wakes the sender when the transaction commits. The rest of the channels stay as its fallback.
 * A transactional message no channel can deliver is a 503 `channel_unavailable`: the caller's command
 * rolls back and the till says so instead of the customer waiting for a code that never comes.
 */
export async function queueMessage(
  trx: Trx,
  context: MessagingContext,
  request: QueueRequest,
  now: Date,
): Promise<QueuedMessage> {
  const replay = await trx
    .selectFrom('messages')
    .select(['id', 'channel', 'status', 'reason', 'destination', 'not_before'])
    .where('program_id', '=', request.programId)
    .where('idempotency_key', '=', request.idempotencyKey)
    .executeTakeFirst();
  if (replay) return answer(replay);

  const program = await loadProgram(trx, request.programId);
  const template = await resolveTemplate(trx, program.id, request.template);
  const reach = await customerReach(trx, program.id, request.customerId);
  const providers = reach.providers;
  const states = (await consentStates(trx, [request.customerId])).get(request.customerId) ?? [];
  const policy = program.settings.messaging;

  const destinationOf = (channel: ChannelKind) =>
    request.destination?.channel === channel ? request.destination.value : reach.destinations[channel];
  const providerOf = (channel: ChannelKind) =>
    channel === 'receipt' ? null : (providers.get(channel) ?? null);
  const deliverable = (channel: ChannelKind) =>
    channel === 'receipt' || providers.has(channel) || context.defaultChannels.includes(channel);

  const candidates = candidateChannels(request, program, template.content);
  let firstRefusal: SkipReason = candidates.length ? 'no_destination' : 'no_provider';
  const usable: ChannelKind[] = [];
  for (const channel of candidates) {
    const refusal: SkipReason | null = !destinationOf(channel)
      ? 'no_destination'
      : !deliverable(channel)
        ? 'no_provider'
        : (() => {
            const consent = consentDecision({
              purpose: template.purpose,
              channel,
              topic: template.topic,
              legalBasis: policy.legalBasis,
              states,
            });
            return consent.allowed ? null : consent.reason;
          })();
    if (refusal === null) usable.push(channel);
    else if (usable.length === 0 && firstRefusal === 'no_destination') firstRefusal = refusal;
  }
  const channel = usable[0];
  if (!channel && template.purpose === 'transactional') {
    throw new DomainError(
      'channel_unavailable',
      `no channel can deliver this message now (${candidates.join(', ') || 'no channel'}: ${firstRefusal.replace('_', ' ')}); configure a provider or add a contact`,
      503,
      'channel',
    );
  }

  await trx.selectFrom('customers').select('id').where('id', '=', request.customerId).forUpdate().execute();
  const decision = channel
    ? sendingDecision({
        purpose: template.purpose,
        consent: { allowed: true },
        ...(template.purpose === 'marketing'
          ? await recentMarketing(trx, program, request.customerId, request.occurredAt)
          : { customerRecent: 0, programRecent: 0 }),
        policy,
        dueAt: request.occurredAt > now ? request.occurredAt : now,
        timeZone: reach.timeZone ?? program.timeZone,
      })
    : ({ send: false, reason: firstRefusal } as const);

  const token = randomBytes(16).toString('base64url');
  const target = channel ?? candidates[0] ?? 'sms';
  const unsubscribeUrl = `${context.apiUrl}/m/u/${token}`;
  const variables: TemplateVariables = {
    ...(await templateVariables(trx, {
      programId: program.id,
      customerId: request.customerId,
      at: request.occurredAt,
      ...(request.couponId !== undefined ? { couponId: request.couponId } : {}),
    })),
    ...request.variables,
    unsubscribeUrl,
    message: { id: token },
  };
  const locales = [reach.locale, program.settings.defaultLanguage];
  const timeZone = reach.timeZone ?? program.timeZone;
  const render = (values: Partial<TemplateVariables>) =>
    template.content[target]
      ? renderTemplate(template.content, target, locales, { ...variables, ...values }, { timeZone })
      : { locale: program.settings.defaultLanguage, text: '' };
  const { secret } = request;
  const shown = render(
    secret
      ? {
          ...(secret.code ? { code: maskedCode } : {}),
          ...(secret.link ? { link: secret.link.url.replace(secret.link.token, maskedCode) } : {}),
        }
      : {},
  );
  const real = secret
    ? render({
        ...(secret.code ? { code: secret.code } : {}),
        ...(secret.link ? { link: secret.link.url } : {}),
      })
    : shown;
  const trackingAllowed =
    consentDecision({
      purpose: 'marketing',
      channel: 'email',
      topic: 'tracking',
      legalBasis: policy.legalBasis,
      states,
    }).allowed && template.purpose === 'marketing';
  const headers =
    target === 'email' && template.purpose === 'marketing' ? unsubscribeHeaders(unsubscribeUrl) : {};

  const row = await trx
    .insertInto('messages')
    .values({
      program_id: program.id,
      customer_id: request.customerId,
      channel: target,
      provider_id: channel ? providerOf(channel) : null,
      purpose: template.purpose,
      topic: template.topic,
      kind: request.kind,
      template_id: template.id,
      template_version: template.version,
      locale: shown.locale,
      campaign: request.campaign ?? null,
      idempotency_key: request.idempotencyKey,
      destination: (channel && destinationOf(channel)) || '',
      subject: shown.subject ?? null,
      body: shown.text,
      html: tracked(shown, context, token, trackingAllowed),
      sealed_body: secret
        ? seal(context.secret, JSON.stringify({ ...real, html: tracked(real, context, token, false) }))
        : null,
      payload: JSON.stringify({
        request: {
          template: request.template,
          // A sealed secret is not kept readable for a fallback to render again.
          ...(secret ? { sealed: true } : {}),
          ...(request.variables ? { variables: request.variables } : {}),
          ...(request.couponId !== undefined ? { couponId: request.couponId } : {}),
        },
        ...(shown.imageUrl ? { imageUrl: shown.imageUrl } : {}),
        ...(shown.button ? { button: shown.button } : {}),
        ...(Object.keys(headers).length ? { headers } : {}),
      }),
      status: decision.send ? 'queued' : 'skipped',
      reason: decision.send ? null : decision.reason,
      fallback: JSON.stringify(usable.slice(1)),
      one_time_code_id: secret?.oneTimeCodeId ?? null,
      previous_message_id: request.previousMessageId ?? null,
      not_before: decision.send ? decision.notBefore : now,
      tracking_token: token,
      occurred_at: request.occurredAt,
    })
    .returning(['id', 'channel', 'status', 'reason', 'destination', 'not_before'])
    .executeTakeFirstOrThrow();
  // The usual course (queued, sending, sent) lives in the row's own times; events record the rest.
  if (!decision.send) {
    await trx
      .insertInto('message_events')
      .values({
        message_id: row.id,
        kind: 'skipped',
        at: now,
        detail: JSON.stringify({ reason: decision.reason }),
      })
      .execute();
  }
  // A code or a link is awaited by someone at the till: wake the sender when (and only if) this
  // transaction commits. Marketing is left to the sender's polling: a NOTIFY takes a lock at every
  // commit that would serialise mass queueing.
  if (decision.send && template.purpose === 'transactional') {
    await sql`select pg_notify(${messagesQueuedChannel}, '')`.execute(trx);
  }
  return answer(row);
}

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

export type { CustomerReach };
