import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../../test/support/api-fixture';
import { ledgerViolations } from '../../test/support/ledger-invariants';

const api = useApiFixture('prog');
const call = (url: string, payload: object, token?: string) =>
  api.call(url, payload, { token: token ?? api.demo.backOfficeApiKey });

const phone = { kind: 'phone', value: '+79265550000' };

describe('program policies', () => {
  it('validates settings naming the key, and needs the program:manage scope', async () => {
    const bad = await call('/v1/program/settings', {
      settings: { joinLimitDays: -1 },
      occurredAt: '2026-01-01T00:00:00Z',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatchObject({ code: 'invalid_settings', field: 'settings.joinLimitDays' });
    const till = await call(
      '/v1/program/settings',
      { settings: { joinLimitDays: 30 }, occurredAt: '2026-01-01T00:00:00Z' },
      api.demo.tillApiKey,
    );
    expect(till.statusCode).toBe(403);
    const ok = await call('/v1/program/settings', {
      settings: {
        joinLimitDays: 30,
        questionnaire: { fields: [{ key: 'pet_name', label: 'Pet name', type: 'text', required: true }] },
      },
      occurredAt: '2026-01-01T00:00:00Z',
    });
    expect(ok.json().settings).toMatchObject({ joinLimitDays: 30, debtPolicy: 'debt' });
  });

  it('validates questionnaire answers against the program definition at registration', async () => {
    const missing = await call('/v1/customers', {
      channel: 'paper',
      registeredAt: '2026-02-01T10:00:00+03:00',
      phone: phone.value,
      questionnaire: {},
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error.field).toBe('questionnaire.pet_name');
    const ok = await call('/v1/customers', {
      channel: 'paper',
      registeredAt: '2026-02-01T10:00:00+03:00',
      phone: phone.value,
      questionnaire: { pet_name: 'Rex' },
      profile: { firstName: 'Petr' },
    });
    expect(ok.statusCode).toBe(201);
  });

  it('forfeits points when a customer leaves, refuses while cash remains, and enforces the join limit', async () => {
    await call('/v1/operations/accrue', {
      customer: phone,
      amount: 250,
      occurredAt: '2026-02-02T10:00:00+03:00',
    });
    await call('/v1/operations/top-up', {
      customer: phone,
      amount: 500,
      occurredAt: '2026-02-02T10:00:00+03:00',
    });
    const withCash = await call('/v1/customers/leave', {
      customer: phone,
      reason: 'asked to',
      occurredAt: '2026-02-03T10:00:00+03:00',
    });
    expect(withCash.json().error).toMatchObject({ code: 'cash_balance_remaining' });
    await call('/v1/operations/convert', {
      customer: phone,
      direction: 'cash-to-points',
      amount: 500,
      occurredAt: '2026-02-03T10:00:00+03:00',
    });
    const left = await call('/v1/customers/leave', {
      customer: phone,
      reason: 'asked to',
      occurredAt: '2026-02-03T10:00:00+03:00',
    });
    expect(left.json()).toEqual({ forfeited: 255 });
    expect(
      (
        await call('/v1/operations/accrue', {
          customer: phone,
          amount: 1,
          occurredAt: '2026-02-04T10:00:00+03:00',
        })
      ).statusCode,
    ).toBe(404);

    const tooSoon = await call('/v1/customers', {
      channel: 'till',
      registeredAt: '2026-02-20T10:00:00+03:00',
      phone: '8 926 555 00 00',
      questionnaire: { pet_name: 'Rex' },
    });
    expect(tooSoon.statusCode).toBe(409);
    expect(tooSoon.json().error).toMatchObject({ code: 'join_limit', field: 'phone' });
    const later = await call('/v1/customers', {
      channel: 'till',
      registeredAt: '2026-03-10T10:00:00+03:00',
      phone: '8 926 555 00 00',
      questionnaire: { pet_name: 'Rex' },
    });
    expect(later.statusCode).toBe(201);
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });

  it('normalises phones by the formats the program configures', async () => {
    const ok = await call('/v1/program/settings', {
      settings: {
        defaultCountry: 'DE',
        phoneFormats: [
          { country: 'RU', callingCode: '7', nationalNumberLength: 10, trunkPrefix: '8' },
          { country: 'DE', callingCode: '49', nationalNumberLength: [10, 11], trunkPrefix: '0' },
        ],
      },
      occurredAt: '2026-04-01T00:00:00Z',
    });
    expect(ok.statusCode).toBe(200);
    const registered = await call('/v1/customers', {
      channel: 'cabinet',
      registeredAt: '2026-04-01T10:00:00+02:00',
      phone: '0151 2345 6789',
      questionnaire: { pet_name: 'Bello' },
    });
    expect(registered.statusCode).toBe(201);
    const lookup = await call('/v1/customers/lookup', {
      customer: { kind: 'phone', value: '+49 151 23456789' },
    });
    expect(lookup.json().customerId).toBe(registered.json().customerId);
  });
});
