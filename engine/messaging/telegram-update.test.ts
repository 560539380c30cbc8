import { describe, expect, it } from 'vitest';
import { parseTelegramUpdate, verifyTelegramSecret } from './telegram-update';

const date = 1_773_144_000;
const at = new Date(date * 1000);
const chatId = 123456789;
const from = { id: chatId, is_bot: false, first_name: 'Anna', language_code: 'ru' };
const privateChat = { id: chatId, type: 'private', first_name: 'Anna' };

const message = (text: string, chat: object = privateChat) => ({
  update_id: 1001,
  message: { message_id: 7, from, chat, date, text },
});

describe('verifyTelegramSecret', () => {
  it('accepts the secret given to setWebhook and refuses another, a missing one and an empty expectation', () => {
    expect(verifyTelegramSecret('s3cr3t_Token-1', 's3cr3t_Token-1')).toBe(true);
    expect(verifyTelegramSecret('s3cr3t_Token-2', 's3cr3t_Token-1')).toBe(false);
    expect(verifyTelegramSecret('s3cr3t_Token-1x', 's3cr3t_Token-1')).toBe(false);
    expect(verifyTelegramSecret(undefined, 's3cr3t_Token-1')).toBe(false);
    expect(verifyTelegramSecret('', '')).toBe(false);
  });
});

describe('parseTelegramUpdate', () => {
  it('links the private chat that sent /start with a token', () => {
    expect(parseTelegramUpdate(message('/start tok_3f9a-Zq'))).toEqual([
      { kind: 'linked', from: String(chatId), token: 'tok_3f9a-Zq', at },
    ]);
    expect(parseTelegramUpdate(message('/start@LoyalflowBot tok_3f9a-Zq'))).toEqual([
      { kind: 'linked', from: String(chatId), token: 'tok_3f9a-Zq', at },
    ]);
  });

  it('takes /start without a valid token as an ordinary reply', () => {
    expect(parseTelegramUpdate(message('/start'))).toEqual([
      { kind: 'reply', from: String(chatId), text: '/start', at },
    ]);
    expect(parseTelegramUpdate(message(`/start ${'a'.repeat(65)}`))).toEqual([
      { kind: 'reply', from: String(chatId), text: `/start ${'a'.repeat(65)}`, at },
    ]);
    expect(parseTelegramUpdate(message('/start tok$en'))).toEqual([
      { kind: 'reply', from: String(chatId), text: '/start tok$en', at },
    ]);
  });

  it('turns /stop and a bare STOP or СТОП in any case into the reply STOP', () => {
    for (const text of ['/stop', '/stop@LoyalflowBot', ' STOP ', 'stop', 'Stop', 'СТОП', ' стоп\n', 'Стоп']) {
      expect(parseTelegramUpdate(message(text))).toEqual([
        { kind: 'reply', from: String(chatId), text: 'STOP', at },
      ]);
    }
  });

  it('passes any other text as written', () => {
    expect(parseTelegramUpdate(message('please stop sending me this'))).toEqual([
      { kind: 'reply', from: String(chatId), text: 'please stop sending me this', at },
    ]);
  });

  it('unsubscribes the chat when the user blocks the bot, and ignores other membership changes', () => {
    const membership = (status: string) => ({
      update_id: 1002,
      my_chat_member: {
        chat: privateChat,
        from,
        date,
        old_chat_member: { status: 'member', user: { id: 42, is_bot: true, first_name: 'Bot' } },
        new_chat_member: { status, user: { id: 42, is_bot: true, first_name: 'Bot' }, until_date: 0 },
      },
    });
    expect(parseTelegramUpdate(membership('kicked'))).toEqual([
      { kind: 'unsubscribed', from: String(chatId), at },
    ]);
    expect(parseTelegramUpdate(membership('member'))).toEqual([]);
  });

  it('gives nothing for groups, messages without text, other update kinds and other shapes', () => {
    expect(
      parseTelegramUpdate(message('/start tok_3f9a-Zq', { id: -100123, type: 'group', title: 'G' })),
    ).toEqual([]);
    expect(
      parseTelegramUpdate({
        update_id: 1003,
        message: { message_id: 8, from, chat: privateChat, date, photo: [{ file_id: 'x' }] },
      }),
    ).toEqual([]);
    expect(parseTelegramUpdate({ update_id: 1004, edited_message: message('STOP').message })).toEqual([]);
    expect(parseTelegramUpdate(null)).toEqual([]);
    expect(parseTelegramUpdate('STOP')).toEqual([]);
  });
});
