import { Api, GrammyError, HttpError } from 'grammy';
import { telegramStartTokenPattern } from '../../engine/messaging/telegram-update';
import { ChannelError, type Channel, type OutgoingMessage, type SubmitResult } from './channel';

/** One Telegram bot of one program: its provider settings joined with its token. */
export interface TelegramChannelSettings {
  /** The Bot API's root, without a trailing slash; tests point it at a local peer. */
  baseUrl?: string;
  botToken: string;
  /** A call that takes longer is abandoned as a transient failure. */
  timeoutMs?: number;
}

const defaultBaseUrl = 'https://api.telegram.org';
const defaultTimeoutMs = 10_000;

function apiOf(settings: TelegramChannelSettings): Api {
  return new Api(settings.botToken, {
    apiRoot: settings.baseUrl ?? defaultBaseUrl,
    timeoutSeconds: (settings.timeoutMs ?? defaultTimeoutMs) / 1000,
  });
}

/**
 * Sorts a failed Bot API call. 403 is the user's doing (blocked the bot, deleted the account): the
 * chat is gone for good. 400 is the request (an unknown chat, a caption too long, an image Telegram
 * cannot fetch) and 401/404 a revoked token: sending the same again cannot succeed. 429 and the
 * server's own failures may pass later, as may a request that never got an answer (grammY's HttpError,
 * timeouts included). Anything else is not Telegram's answer and is thrown as it is.
 */
function channelErrorOf(error: unknown): unknown {
  if (error instanceof HttpError) {
    // Refused before the request went out: certain. Any other lost answer may hide a sent message.
    const cause = error.error instanceof Error ? error.error.message : String(error.error);
    const notSent = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET before/.test(`${cause} ${error.message}`);
    return new ChannelError('unreachable', false, error.message, !notSent);
  }
  if (!(error instanceof GrammyError)) return error;
  const detail = `Telegram ${error.error_code}: ${error.description}`;
  switch (error.error_code) {
    case 403:
      return new ChannelError('blocked', true, detail);
    case 400:
      return /chat not found/i.test(error.description)
        ? new ChannelError('chat_not_found', true, detail)
        : new ChannelError('bad_request', true, detail);
    case 401:
    case 404:
      return new ChannelError('invalid_bot_token', true, detail);
    case 429:
      return new ChannelError(
        'rate_limited',
        false,
        `${detail}; retry after ${error.parameters.retry_after ?? '?'} s`,
      );
    default:
      return new ChannelError('provider_error', false, detail);
  }
}

/** Messages to Telegram chats (by chat id) through one bot. */
export class TelegramChannel implements Channel {
  readonly kind = 'telegram' as const;
  private readonly api: Api;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(settings: TelegramChannelSettings) {
    this.api = apiOf(settings);
  }

  async submit(message: OutgoingMessage): Promise<SubmitResult> {
    if (this.closed) throw new ChannelError('closed', false);
    const chatId = message.to;
    const markup = message.button
      ? { reply_markup: { inline_keyboard: [[{ text: message.button.text, url: message.button.url }]] } }
      : {};
    const sending = message.imageUrl
      ? this.api.sendPhoto(chatId, message.imageUrl, { caption: message.text, ...markup })
      : this.api.sendMessage(chatId, message.text, markup);
    this.inFlight.add(sending);
    try {
      const sent = await sending;
      return { providerMessageId: `${chatId}:${sent.message_id}`, parts: 1 };
    } catch (error) {
      throw channelErrorOf(error);
    } finally {
      this.inFlight.delete(sending);
    }
  }

  /**
   * Refuses new messages and waits for the calls already made. The kept-alive connections belong to
   * grammY's agent, shared by every bot on the same API root, so they are not this channel's to close.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}

/**
 * The link a customer opens to link their chat: Telegram starts the bot and sends `/start <token>`.
 * Telegram passes on only up to 64 characters of letters, digits, `_` and `-`.
 */
export function telegramDeepLink(botUsername: string, token: string): string {
  if (!telegramStartTokenPattern.test(token)) {
    throw new RangeError('a Telegram start token is 1 to 64 characters of A-Z, a-z, 0-9, _ and -');
  }
  return `https://t.me/${botUsername}?start=${token}`;
}

/**
 * Points the bot's updates at `url`. Telegram echoes `secretToken` in X-Telegram-Bot-Api-Secret-Token
 * on every call (see verifyTelegramSecret); only messages and the bot's own membership (blocks) are
 * asked for.
 */
export async function setTelegramWebhook(
  settings: TelegramChannelSettings,
  url: string,
  secretToken: string,
): Promise<void> {
  try {
    await apiOf(settings).setWebhook(url, {
      secret_token: secretToken,
      allowed_updates: ['message', 'my_chat_member'],
    });
  } catch (error) {
    throw channelErrorOf(error);
  }
}
