import { describe, expect, it } from 'vitest';
import { type OneTimeCodeSender, RecordingCodeSender } from './one-time-code-sender';

describe('RecordingCodeSender', () => {
  it('keeps every message in order and finds the last one per recipient', async () => {
    const recorder = new RecordingCodeSender();
    const sender: OneTimeCodeSender = recorder;
    await sender.send({ kind: 'phone', value: '+79161234567' }, 'Code 1111');
    await sender.send({ kind: 'email', value: 'a@b.ru' }, 'Code 2222');
    await sender.send({ kind: 'phone', value: '+79161234567' }, 'Code 3333');
    expect(recorder.sent.map((m) => m.text)).toEqual(['Code 1111', 'Code 2222', 'Code 3333']);
    expect(recorder.sent[1]?.to).toEqual({ kind: 'email', value: 'a@b.ru' });
    expect(recorder.lastTextTo('+79161234567')).toBe('Code 3333');
    expect(recorder.lastTextTo('+70000000000')).toBeUndefined();
    recorder.clear();
    expect(recorder.sent).toEqual([]);
  });

  it('copies the recipient so later changes by the caller do not rewrite history', async () => {
    const recorder = new RecordingCodeSender();
    const to = { kind: 'phone' as const, value: '+79161234567' };
    await recorder.send(to, 'x');
    to.value = '+70000000000';
    expect(recorder.sent[0]?.to.value).toBe('+79161234567');
  });
});
