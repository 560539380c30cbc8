import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** A message the local mail catcher or SMS sink of `npm start` received. */
export interface SinkMessage {
  id: number;
  channel: 'sms' | 'email';
  sender: string | null;
  destination: string;
  subject: string | null;
  text: string;
  html: string | null;
  headers: Record<string, string>;
  receivedAt: string;
}

export async function recordSinkMessage(
  db: Kysely<Database>,
  message: Omit<SinkMessage, 'id' | 'receivedAt'>,
): Promise<void> {
  await db
    .insertInto('sink_messages')
    .values({
      channel: message.channel,
      sender: message.sender,
      destination: message.destination,
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: JSON.stringify(message.headers),
    })
    .execute();
}

/** The newest messages the sinks received, optionally to one phone or address. */
export async function sinkMessages(
  db: Kysely<Database>,
  input: { limit: number; destination?: string | undefined },
): Promise<SinkMessage[]> {
  const rows = await db
    .selectFrom('sink_messages')
    .selectAll()
    .$if(input.destination !== undefined, (q) => q.where('destination', '=', input.destination!))
    .orderBy('id', 'desc')
    .limit(input.limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    channel: row.channel,
    sender: row.sender,
    destination: row.destination,
    subject: row.subject,
    text: row.text,
    html: row.html,
    headers: row.headers,
    receivedAt: row.received_at.toISOString(),
  }));
}
