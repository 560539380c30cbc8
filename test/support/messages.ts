import type { DB } from '../../db/database';
import { unseal } from '../../db/messaging/sealed';
import type { MessagingContext } from '../../db/messaging/queue';
import type { MessagingPolicy } from '../../engine/messaging/contracts';

export const testSecret = 'test-secret-test-secret-test-secret';

/** The messaging context of test APIs: SMS and e-mail count as deliverable (the local sinks). */
export const testMessaging: MessagingContext = {
  secret: testSecret,
  apiUrl: 'http://api.test',
  defaultChannels: ['sms', 'email'],
};

/** A program that may send marketing to anyone who has not said no, at any hour, without caps. */
export const openMessagingPolicy: MessagingPolicy = {
  legalBasis: 'legitimate-interest',
  quietHours: null,
  customerCap: null,
  programCap: null,
  fallback: ['sms'],
};

/**
 * The text of the latest message queued to a phone or an address, as it will be submitted: a one-time
 * code's sealed text opened, the log's text otherwise. What a customer's phone would show.
 */
export async function lastTextTo(db: DB, destination: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('messages')
    .select(['body', 'sealed_body'])
    .where('destination', '=', destination)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!row) return undefined;
  return row.sealed_body
    ? (JSON.parse(unseal(testSecret, row.sealed_body)) as { text: string }).text
    : row.body;
}
