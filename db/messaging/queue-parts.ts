import { createHmac } from 'node:crypto';
import { maskEmail, maskPhone } from '../../engine/customers/mask';
import { DomainError } from '../../engine/errors';
import type { ChannelKind, MessagePurpose } from '../../engine/messaging/contracts';
import { trackEmailHtml } from '../../engine/messaging/email-tracking';
import { systemTemplates } from '../../engine/messaging/system-templates';
import type { TemplateContent } from '../../engine/messaging/template-content';
import type { RenderedMessage } from '../../engine/messaging/templates';
import type { Trx } from '../ledger/store';
import type { ProgramInfo } from '../programs';

/** What the queue reads besides the customers: the template, caps so far, and how links are built. */

export interface ResolvedTemplate {
  id: number | null;
  version: number | null;
  purpose: MessagePurpose;
  topic: string | null;
  content: TemplateContent;
}

export const isSystemTemplate = (key: string) => Object.hasOwn(systemTemplates, key);

/**
 * The program's active template of that key, else the platform's own text of a system message. A
 * program's own version of a system key is transactional whatever it says (templates refuse
 * anything else on save).
 */
export async function resolveTemplate(trx: Trx, programId: number, key: string): Promise<ResolvedTemplate> {
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
      purpose: isSystemTemplate(key) ? 'transactional' : row.purpose,
      topic: isSystemTemplate(key) ? null : row.topic,
      content: row.content as TemplateContent,
    };
  }
  const system = (systemTemplates as Record<string, TemplateContent>)[key];
  if (!system) throw new DomainError('template_not_found', `no active template "${key}"`, 404, 'template');
  return { id: null, version: null, purpose: 'transactional', topic: null, content: system };
}

const channelOrder: readonly ChannelKind[] = ['sms', 'email', 'viber', 'telegram', 'receipt'];

/** The channels to try in order: those asked for, else the program's fallback order, then the rest. */
export function candidateChannels(
  asked: readonly ChannelKind[] | undefined,
  program: ProgramInfo,
  content: TemplateContent,
): ChannelKind[] {
  const preferred = asked?.length ? asked : [...program.settings.messaging.fallback, ...channelOrder];
  return [...new Set(preferred)].filter((channel) => content[channel] !== undefined);
}

/** A destination as staff may see it: a Viber user id or a Telegram chat id is not shown at all. */
export function maskedDestination(channel: ChannelKind, value: string): string {
  if (!value) return '';
  if (channel === 'sms') return maskPhone(value);
  if (channel === 'email') return maskEmail(value);
  return channel === 'receipt' ? 'next receipt' : `${channel} chat`;
}

/** Marketing already sent or on its way, by customer and for the program, within a cap's window. */
export interface RecentMarketing {
  byCustomer: Map<number, number>;
  program: number;
}

/**
 * Marketing messages that count against the caps of a send at `sendAt`: those going out within the
 * period before or after it (a message backdated by its business time still counts where it is
 * sent). Skipped and failed messages reached nobody and do not count: a failed Viber message leaves
 * room for its SMS fallback.
 */
export async function recentMarketing(
  trx: Trx,
  program: ProgramInfo,
  customerIds: readonly number[],
  sendAt: Date,
): Promise<RecentMarketing> {
  const { customerCap, programCap } = program.settings.messaging;
  const window = (hours: number) => ({
    from: new Date(sendAt.getTime() - hours * 3_600_000),
    to: new Date(sendAt.getTime() + hours * 3_600_000),
  });
  const byCustomer = new Map<number, number>();
  if (customerCap && customerIds.length) {
    const { from, to } = window(customerCap.periodHours);
    const rows = await trx
      .selectFrom('messages')
      .select((eb) => ['customer_id', eb.fn.countAll<string>().as('n')])
      .where('customer_id', '=', (eb) => eb.fn.any(eb.val([...customerIds])))
      .where('purpose', '=', 'marketing')
      .where('status', 'not in', ['skipped', 'failed'])
      .where('not_before', '>', from)
      .where('not_before', '<', to)
      .groupBy('customer_id')
      .execute();
    for (const row of rows) byCustomer.set(row.customer_id!, Number(row.n));
  }
  let programCount = 0;
  if (programCap) {
    const { from, to } = window(programCap.periodHours);
    const row = await trx
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('program_id', '=', program.id)
      .where('purpose', '=', 'marketing')
      .where('status', 'not in', ['skipped', 'failed'])
      .where('not_before', '>', from)
      .where('not_before', '<', to)
      .executeTakeFirstOrThrow();
    programCount = Number(row.n);
  }
  return { byCustomer, program: programCount };
}

/** Signs a tracked link so the redirect endpoint follows only links the platform wrote. */
export function trackedLinkSignature(secret: string, token: string, url: string): string {
  return createHmac('sha256', secret).update(`${token}\n${url}`).digest('base64url').slice(0, 22);
}

/** The e-mail's links and pixel through the tracking endpoints, when the customer allows tracking. */
export function trackedHtml(
  rendered: RenderedMessage,
  links: { apiUrl: string; secret: string },
  token: string,
  track: boolean,
): string | null {
  if (!rendered.html || !track) return rendered.html ?? null;
  const base = `${links.apiUrl}/m`;
  return trackEmailHtml(rendered.html, {
    openPixelUrl: `${base}/o/${token}.gif`,
    clickUrl: (url) =>
      `${base}/c/${token}?u=${encodeURIComponent(url)}&s=${trackedLinkSignature(links.secret, token, url)}`,
    keep: (url) => url.startsWith(`${base}/u/`),
  }).html;
}
