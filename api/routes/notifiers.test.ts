import { beforeAll, describe, expect, it } from 'vitest';
import { useApiFixture } from '../../test/support/api-fixture';

const api = useApiFixture('notif');
const call = (url: string, payload: object) => api.call(url, payload);

beforeAll(async () => {
  const registered = await call('/v1/customers', {
    channel: 'cabinet',
    registeredAt: '2026-05-01T10:00:00+03:00',
    phone: '+79035550011',
    email: 'Vera@Example.com',
  });
  expect(registered.statusCode).toBe(201);
});

const vera = { kind: 'phone', value: '+7 903 555-00-11' };
const codeIn = (text: string | undefined) => /(\d{6})/.exec(text ?? '')?.[1] ?? '';

async function verified(kind: 'phone' | 'email') {
  const row = await api.t.db
    .selectFrom('identifiers')
    .select('verified_at')
    .where('kind', '=', kind)
    .executeTakeFirstOrThrow();
  return row.verified_at !== null;
}

describe('notifier verification', () => {
  it('sends a code, stores only its hash, and verifies the phone with it', async () => {
    const started = await call('/v1/notifiers/verification', { customer: vera, channel: 'phone' });
    expect(started.statusCode).toBe(202);
    expect(started.json().sentTo).toBe('+7 903 ***-**-11');
    const code = codeIn(await api.lastTextTo('+79035550011'));
    const stored = await api.t.db.selectFrom('one_time_codes').select('record').executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.record)).not.toContain(code);
    expect(await verified('phone')).toBe(false);
    const confirmed = await call('/v1/notifiers/verification/confirm', {
      customer: vera,
      channel: 'phone',
      code,
    });
    expect(confirmed.json()).toMatchObject({ verified: true, result: 'ok' });
    expect(await verified('phone')).toBe(true);
    const reused = await call('/v1/notifiers/verification/confirm', {
      customer: vera,
      channel: 'phone',
      code,
    });
    expect(reused.json()).toMatchObject({ verified: false, result: 'consumed' });
  });

  it('counts wrong attempts and locks after the limit, even for the right code', async () => {
    await call('/v1/notifiers/verification', { customer: vera, channel: 'email' });
    const code = codeIn(await api.lastTextTo('vera@example.com'));
    const wrong = code === '000000' ? '111111' : '000000';
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) {
      outcomes.push(
        (
          await call('/v1/notifiers/verification/confirm', { customer: vera, channel: 'email', code: wrong })
        ).json(),
      );
    }
    expect(outcomes.map((o) => o.attemptsLeft)).toEqual([4, 3, 2, 1, 0]);
    const locked = await call('/v1/notifiers/verification/confirm', {
      customer: vera,
      channel: 'email',
      code,
    });
    expect(locked.json()).toMatchObject({ verified: false, result: 'locked' });
    expect(await verified('email')).toBe(false);
  });

  it('limits how many codes a customer can request an hour', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i += 1)
      statuses.push(
        (await call('/v1/notifiers/verification', { customer: vera, channel: 'phone' })).statusCode,
      );
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
  });

  it('names the field of a malformed code', async () => {
    const response = await call('/v1/notifiers/verification/confirm', {
      customer: vera,
      channel: 'phone',
      code: '12ab',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.field).toBe('body.code');
  });
});
