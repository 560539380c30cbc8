import type { Kysely } from 'kysely';
import { queueFallbacks } from '../../db/messaging/fallback';
import { applyPendingReceipts } from '../../db/messaging/inbound';
import { settleUnknown } from '../../db/messaging/recovery';
import type { MessagingContext } from '../../db/messaging/queue';
import {
  claimDueMessages,
  recordSendResults,
  type ClaimedMessage,
  type SendResult,
} from '../../db/messaging/sending';
import type { Database } from '../../db/schema';
import { ChannelError, type Channel, type OutgoingMessage } from '../channels/channel';
import type { ChannelRegistry } from './channel-registry';

export interface DeliverDeps {
  db: Kysely<Database>;
  context: MessagingContext;
  registry: ChannelRegistry;
}

/** What a batch did, for the sender's log and the benchmark. */
export interface BatchOutcome {
  claimed: number;
  sent: number;
  failed: number;
  retried: number;
  /** Sends the provider may or may not have taken: never sent again (a code gets a new code). */
  unknown: number;
  fallbacks: number;
}

function outgoing(message: ClaimedMessage): OutgoingMessage {
  return {
    messageId: message.id,
    to: message.destination,
    text: message.text,
    ...(message.subject !== null ? { subject: message.subject } : {}),
    ...(message.html !== null ? { html: message.html } : {}),
    ...(Object.keys(message.headers).length ? { headers: message.headers } : {}),
    ...(message.imageUrl !== null ? { imageUrl: message.imageUrl } : {}),
    ...(message.button !== null ? { button: message.button } : {}),
  };
}

async function submit(channel: Promise<Channel | null>, message: ClaimedMessage): Promise<SendResult> {
  try {
    // Inside the try: a provider whose connection cannot be built fails its own messages, not the batch.
    const live = await channel;
    if (!live) return { id: message.id, ok: false, reason: 'no_provider', permanent: true, uncertain: false };
    const result = await live.submit(outgoing(message));
    return { id: message.id, ok: true, providerMessageId: result.providerMessageId, parts: result.parts };
  } catch (error) {
    if (error instanceof ChannelError) {
      return {
        id: message.id,
        ok: false,
        reason: error.reason,
        permanent: error.permanent,
        uncertain: error.uncertain,
      };
    }
    // An unexpected failure may be a bug of ours: retried, never taken for the provider's refusal.
    return { id: message.id, ok: false, reason: 'internal_error', permanent: false, uncertain: false };
  }
}

/**
 * What the providers answered must reach the log: a message left `sending` becomes `unknown` and is
 * never sent again. A failing database gets a few more tries, a second apart.
 */
async function recordWithRetries<T>(record: () => Promise<T>, tries = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await record();
    } catch (error) {
      if (attempt >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/**
 * One round of the sender: claims due messages (now `sending`), submits each to its provider's live
 * connection — all at once, each channel keeping to its own window and rate — records the answers in
 * one transaction, and moves what failed for good along its fallback chain.
 */
export async function deliverDueMessages(deps: DeliverDeps, now: Date, limit: number): Promise<BatchOutcome> {
  const claimed = await claimDueMessages(deps.db, { secret: deps.context.secret, now, limit });
  if (claimed.length === 0) return { claimed: 0, sent: 0, failed: 0, retried: 0, unknown: 0, fallbacks: 0 };
  const channels = new Map<string, Promise<Channel | null>>();
  const channelOf = (message: ClaimedMessage) => {
    const key = `${message.providerId ?? 'default'}:${message.channel}`;
    let channel = channels.get(key);
    if (!channel)
      channels.set(key, (channel = deps.registry.channelFor(message.providerId, message.channel)));
    return channel;
  };
  const results = await Promise.all(claimed.map((message) => submit(channelOf(message), message)));
  const attempts = new Map(claimed.map((message) => [message.id, message.attempts]));
  const failedForGood = await recordWithRetries(() =>
    recordSendResults(deps.db, results, attempts, new Date()),
  );
  const uncertain = results.filter((r) => !r.ok && r.uncertain);
  for (const r of uncertain) {
    if (r.ok) continue;
    await settleUnknown(
      deps.db,
      deps.context,
      [r.id],
      new Date(),
      `the provider may have taken it (${r.reason})`,
    );
  }
  const sentIds = results.flatMap((r) => (r.ok && r.providerMessageId !== null ? [r.providerMessageId] : []));
  const undelivered = await applyPendingReceipts(deps.db, sentIds);
  const fallbacks = await queueFallbacks(
    deps.db,
    deps.context,
    [...failedForGood, ...undelivered],
    new Date(),
  );
  const sent = results.filter((r) => r.ok).length;
  return {
    claimed: claimed.length,
    sent,
    failed: failedForGood.length,
    retried: results.length - sent - failedForGood.length - uncertain.length,
    unknown: uncertain.length,
    fallbacks: fallbacks.length,
  };
}
