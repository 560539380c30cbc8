import type { Kysely } from 'kysely';
import type { ChannelKind } from '../../engine/messaging/contracts';
import type { Database } from '../schema';
import { activeProviders } from './providers';

/** Where a customer can be reached and how the program reaches them, read in one place for the queue. */
export interface CustomerReach {
  /** The contact per channel: the first verified phone and e-mail (else the first), bot links, receipts. */
  destinations: Partial<Record<ChannelKind, string>>;
  /** The customer's language (`ru` of `ru-RU`) and time zone, when their profile has them. */
  locale: string | null;
  timeZone: string | null;
  /** The provider tried first per channel. */
  providers: Map<string, number>;
}

export async function customerReach(
  db: Kysely<Database>,
  programId: number,
  customerId: number,
): Promise<CustomerReach> {
  const [contacts, links, customer, providers] = await Promise.all([
    db
      .selectFrom('identifiers')
      .select(['kind', 'value'])
      .where('customer_id', '=', customerId)
      .where('kind', 'in', ['phone', 'email'])
      .orderBy('verified_at', (ob) => ob.desc().nullsLast())
      .orderBy('id')
      .execute(),
    db
      .selectFrom('channel_links')
      .select(['channel', 'external_id'])
      .where('customer_id', '=', customerId)
      .where('program_id', '=', programId)
      .orderBy('linked_at', 'desc')
      .execute(),
    db.selectFrom('customers').select('profile').where('id', '=', customerId).executeTakeFirstOrThrow(),
    activeProviders(db, programId),
  ]);
  const destinations: Partial<Record<ChannelKind, string>> = { receipt: String(customerId) };
  for (const contact of contacts) {
    const channel = contact.kind === 'phone' ? 'sms' : 'email';
    destinations[channel] ??= contact.value;
  }
  for (const link of links) destinations[link.channel] ??= link.external_id;
  const profile = customer.profile as { locale?: string; timeZone?: string };
  return {
    destinations,
    locale: profile.locale?.slice(0, 2) ?? null,
    timeZone: profile.timeZone ?? null,
    providers,
  };
}
