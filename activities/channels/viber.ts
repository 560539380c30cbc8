import { z } from 'zod';
import { parseViberJson } from '../../engine/messaging/viber-callback';
import { ChannelError, type Channel, type OutgoingMessage, type SubmitResult } from './channel';

/** One Viber bot of one program: its provider settings joined with its auth token. */
export interface ViberChannelSettings {
  /** The REST API's root, without a trailing slash; tests point it at a local peer. */
  baseUrl?: string;
  authToken: string;
  /** Shown as the message's sender (Viber allows 28 characters). */
  senderName: string;
  senderAvatar?: string;
  /** A request that takes longer is abandoned as a transient failure. */
  timeoutMs?: number;
}

/** The callbacks `set_webhook` can subscribe to; message, subscribed and unsubscribed always come. */
export type ViberEventType =
  'delivered' | 'seen' | 'failed' | 'subscribed' | 'unsubscribed' | 'conversation_started';

const defaultBaseUrl = 'https://chatapi.viber.com';
const defaultTimeoutMs = 10_000;

/**
 * The answer codes after which the same request can never succeed: the receiver cannot get bot messages
 * (5, 6, 11), the request itself is wrong (3, 4), or the bot account cannot send at all (2, 7, 8, 9,
 * 10, 15). Permanent lets the sender fall back to the next channel instead of retrying. Every other
 * code (12 too many requests, 1 and the general errors) may pass later.
 */
const permanentStatuses: Readonly<Record<number, string>> = {
  2: 'invalid_auth_token',
  3: 'bad_data',
  4: 'missing_data',
  5: 'not_registered',
  6: 'not_subscribed',
  7: 'account_blocked',
  8: 'account_not_found',
  9: 'account_suspended',
  10: 'webhook_not_set',
  11: 'no_suitable_device',
  15: 'account_not_authorized',
};

const answerSchema = z.object({
  status: z.number(),
  status_message: z.string().optional(),
  message_token: z.string().optional(),
});
type ViberAnswer = z.infer<typeof answerSchema>;

/**
 * One call of the Viber REST bot API. Viber answers HTTP 200 with its own `status`; 0 is success.
 * Reasons and messages carry codes and Viber's status names only, never the request.
 */
async function callViber(settings: ViberChannelSettings, path: string, body: object): Promise<ViberAnswer> {
  const url = `${settings.baseUrl ?? defaultBaseUrl}${path}`;
  let text: string;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-viber-auth-token': settings.authToken },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(settings.timeoutMs ?? defaultTimeoutMs),
    });
    text = await response.text();
    if (!response.ok) throw new ChannelError(`http_${response.status}`, false);
  } catch (error) {
    if (error instanceof ChannelError) throw error;
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    // A request that timed out may have been taken: Viber's answer, not its arrival, was lost.
    throw new ChannelError(timedOut ? 'timeout' : 'unreachable', false, undefined, timedOut);
  }
  let answer: ViberAnswer;
  try {
    answer = answerSchema.parse(parseViberJson(text));
  } catch {
    throw new ChannelError('bad_answer', false, 'Viber answered something other than its JSON status');
  }
  if (answer.status === 0) return answer;
  const detail = `Viber status ${answer.status}${answer.status_message ? ` (${answer.status_message})` : ''}`;
  const permanent = permanentStatuses[answer.status];
  if (permanent !== undefined) throw new ChannelError(permanent, true, detail);
  throw new ChannelError(answer.status === 12 ? 'rate_limited' : 'provider_error', false, detail);
}

/** The `send_message` body: text, or a picture with the text under it, and at most one link button. */
function sendMessageBody(settings: ViberChannelSettings, message: OutgoingMessage): object {
  return {
    receiver: message.to,
    // Keyboards in send_message need clients of API version 7 or later; older ones would drop it.
    ...(message.button ? { min_api_version: 7 } : {}),
    sender: {
      name: settings.senderName,
      ...(settings.senderAvatar ? { avatar: settings.senderAvatar } : {}),
    },
    type: message.imageUrl ? 'picture' : 'text',
    text: message.text,
    ...(message.imageUrl ? { media: message.imageUrl } : {}),
    ...(message.button
      ? {
          keyboard: {
            Type: 'keyboard',
            DefaultHeight: false,
            Buttons: [
              {
                ActionType: 'open-url',
                ActionBody: message.button.url,
                Text: message.button.text,
                Columns: 6,
                Rows: 1,
              },
            ],
          },
        }
      : {}),
  };
}

/** Messages to Viber users (by Viber user id) through one bot's REST API. */
export class ViberChannel implements Channel {
  readonly kind = 'viber' as const;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly settings: ViberChannelSettings) {}

  async submit(message: OutgoingMessage): Promise<SubmitResult> {
    if (this.closed) throw new ChannelError('closed', false);
    const sending = callViber(this.settings, '/pa/send_message', sendMessageBody(this.settings, message));
    this.inFlight.add(sending);
    try {
      const answer = await sending;
      return { providerMessageId: answer.message_token ?? null, parts: 1 };
    } finally {
      this.inFlight.delete(sending);
    }
  }

  /** Refuses new messages and waits for the requests already sent; fetch keeps no connection of ours. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}

/**
 * Points the bot's callbacks at `url`. Viber checks the URL at once with a `webhook` callback, which
 * must be answered 200, so the endpoint has to be serving before this is called.
 */
export async function setViberWebhook(
  settings: ViberChannelSettings,
  url: string,
  eventTypes: readonly ViberEventType[],
): Promise<void> {
  await callViber(settings, '/pa/set_webhook', {
    url,
    event_types: eventTypes,
    send_name: false,
    send_photo: false,
  });
}

/**
 * The link a customer opens to link their Viber user: it opens the bot's chat, and Viber hands
 * `context` to the conversation_started callback (see parseViberCallback).
 */
export function viberDeepLink(chatUri: string, token: string): string {
  return `viber://pa?chatURI=${encodeURIComponent(chatUri)}&context=${encodeURIComponent(token)}`;
}
