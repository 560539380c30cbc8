import type { Kysely } from 'kysely';
import type { ChannelKind } from '../../engine/messaging/contracts';
import type { Database } from '../schema';

/** Where a customer can be reached, and what their messages are rendered from, read for a batch at once. */
export interface CustomerReach {
  /** The contact per channel: the first verified phone and e-mail (else the first), bot links, receipts. */
  destinations: Partial<Record<ChannelKind, string>>;
  /** The customer's language (`ru` of `ru-RU`) and time zone, when their profile has them. */
  locale: string | null;
  timeZone: string | null;
  /** Phones and e-mails, verified first: the `customer` variables take the first of each. */
  contacts: Array<{ kind: string; value: string }>;
  customer: {
    profile: Record<string, unknown>;
    questionnaire: Record<string, unknown>;
    referral_code: string;
  };
}

/**
 * The reach of the program's customers among `customerIds`, in three queries whatever their number
 * (a campaign's batch or one till's code); a customer of another program is absent from the answer.
 */
export async function customerReaches(
  db: Kysely<Database>,
  programId: number,
  customerIds: readonly number[],
): Promise<Map<number, CustomerReach>> {
  const ids = [...new Set(customerIds)];
  const [customers, contacts, links] = await Promise.all([
    db
      .selectFrom('customers')
      .select(['id', 'profile', 'questionnaire', 'referral_code'])
      .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
      .where('program_id', '=', programId)
      .execute(),
    db
      .selectFrom('identifiers')
      .select(['customer_id', 'kind', 'value'])
      .where('customer_id', '=', (eb) => eb.fn.any(eb.val(ids)))
      .where('kind', 'in', ['phone', 'email'])
      .orderBy('customer_id')
      .orderBy('verified_at', (ob) => ob.desc().nullsLast())
      .orderBy('id')
      .execute(),
    db
      .selectFrom('channel_links')
      .select(['customer_id', 'channel', 'external_id'])
      .where('customer_id', '=', (eb) => eb.fn.any(eb.val(ids)))
      .where('program_id', '=', programId)
      .orderBy('linked_at', 'desc')
      .execute(),
  ]);
  const reaches = new Map<number, CustomerReach>();
  for (const row of customers) {
    const profile = row.profile as { locale?: string; timeZone?: string };
    reaches.set(row.id, {
      destinations: { receipt: String(row.id) },
      locale: profile.locale?.slice(0, 2) ?? null,
      timeZone: profile.timeZone ?? null,
      contacts: [],
      customer: row,
    });
  }
  for (const contact of contacts) {
    const reach = reaches.get(contact.customer_id);
    if (!reach) continue;
    reach.contacts.push({ kind: contact.kind, value: contact.value });
    reach.destinations[contact.kind === 'phone' ? 'sms' : 'email'] ??= contact.value;
  }
  for (const link of links) {
    const reach = reaches.get(link.customer_id);
    if (reach) reach.destinations[link.channel] ??= link.external_id;
  }
  return reaches;
}
