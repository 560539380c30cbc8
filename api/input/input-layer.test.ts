import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../../test/support/api-fixture';
import { registerOpenEventTypes } from '../../test/support/customer-events';
import { insertCustomer } from '../../test/support/customers';
import { tableChecksums } from '../../test/support/table-checksums';

// The program's default window: 30 days back, 15 minutes ahead of the recording time.
const api = useApiFixture('input-layer', { businessTimes: { pastDays: 30, futureMinutes: 15 } });

const customer = { kind: 'external', value: 'input-1' };
const now = () => new Date().toISOString();

/** POSTs raw text, so that a test can send what JSON.stringify would never write. */
const postRaw = (url: string, text: string, headers: Record<string, string> = {}) =>
  api.app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${api.demo.backOfficeApiKey}`,
      'idempotency-key': `input-${Math.random().toString(36).slice(2, 12)}`,
      'content-type': 'application/json',
      ...headers,
    },
    payload: text,
  });

/** Sends the body and expects a 4xx naming `field`, with every table as it was. */
async function refused(url: string, text: string, status: number, field: string, headers = {}) {
  const before = await tableChecksums(api.t.db);
  const r = await postRaw(url, text, headers);
  expect({ status: r.statusCode, field: r.json().error?.field }).toEqual({ status, field });
  expect(await tableChecksums(api.t.db)).toEqual(before);
  return r.json().error as { code: string; message: string };
}

describe('the input layer', () => {
  it('refuses a NUL byte or half a surrogate pair in any string, naming it, and writes nothing', async () => {
    await insertCustomer(api.t.db, api.demo.programId, customer.value);
    const accrue = (reason: string) => JSON.stringify({ customer, amount: 10, occurredAt: now(), reason });
    expect((await refused('/v1/operations/accrue', accrue('a\u0000b'), 400, 'body.reason')).code).toBe(
      'invalid_string',
    );
    await refused('/v1/operations/accrue', accrue('a\ud800b'), 400, 'body.reason');
    const nulInValue = JSON.stringify({ customer: { kind: 'external', value: 'x\u0000' }, amount: 1 });
    await refused('/v1/operations/accrue', nulInValue, 400, 'body.customer.value');
    await refused('/v1/operations/accrue', '{"a\\u0000":1}', 400, 'body.a\u0000');
    // The escapes as a client writes them (JSON.stringify keeps a lone surrogate escaped).
    await refused('/v1/operations/accrue', '{"reason":"\\ud800"}', 400, 'body.reason');
  });

  it('refuses %00 in a path parameter or the query', async () => {
    const r = await api.app.inject({
      method: 'GET',
      url: '/v1/products/ab%00cd',
      headers: { authorization: `Bearer ${api.demo.backOfficeApiKey}` },
    });
    expect({ status: r.statusCode, field: r.json().error.field }).toEqual({
      status: 400,
      field: 'params.sku',
    });
    const q = await api.app.inject({
      method: 'GET',
      url: '/v1/coupons/ABC?at=%00',
      headers: { authorization: `Bearer ${api.demo.backOfficeApiKey}` },
    });
    expect({ status: q.statusCode, field: q.json().error.field }).toEqual({
      status: 400,
      field: 'querystring.at',
    });
  });

  it('refuses JSON nested 10 000 levels deep with a 400, not a stack overflow', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const e = await refused(
      '/v1/program/settings',
      `{"questionnaire":${deep}}`,
      400,
      expect.any(String) as never,
    );
    expect(e.code).toBe('too_deep');
  });

  it('refuses a key given twice, so that the last one cannot win', async () => {
    const text = `{"customer":${JSON.stringify(customer)},"amount":1,"amount":999999999,"occurredAt":"${now()}"}`;
    expect((await refused('/v1/operations/accrue', text, 400, 'body.amount')).code).toBe('duplicate_key');
    // The same key written with an escape is the same key.
    await refused('/v1/operations/accrue', '{"amount":1,"\\u0061mount":2}', 400, 'body.amount');
    // Keys of different objects may repeat; a brace inside a string is not structure.
    const fine = `{"customer":${JSON.stringify(customer)},"amount":1,"reason":"{\\"amount\\":2}","occurredAt":"${now()}"}`;
    expect((await postRaw('/v1/operations/accrue', fine)).statusCode).toBe(200);
  });

  it('refuses integers past 2^53, which JSON parsing has already rounded', async () => {
    const text = `{"customer":${JSON.stringify(customer)},"amount":9007199254740993,"occurredAt":"${now()}"}`;
    expect((await refused('/v1/operations/accrue', text, 400, 'body.amount')).code).toBe('inexact_number');
  });

  it('bounds a check so that every sum the engine makes stays exact', async () => {
    const line = { sku: 'BIG', quantity: 10_000, unitPrice: 999_999_999_999 };
    const check = (lines: object[]) => JSON.stringify({ occurredAt: now(), lines });
    const headers = { authorization: `Bearer ${api.demo.tillApiKey}` };
    const e = await refused('/v1/purchases/calculate', check([line]), 400, 'body.lines.0.unitPrice', headers);
    expect(e.message).toContain('100000000000');
    const tenLines = Array.from({ length: 10 }, () => ({
      sku: 'BIG',
      quantity: 1,
      unitPrice: 20_000_000_000,
    }));
    await refused('/v1/purchases/calculate', check(tenLines), 400, 'body.lines', headers);
  });

  it('holds every business time to the program window and names the field', async () => {
    for (const year of ['0001', '1900', '2200', '9999']) {
      const body = { customer, amount: 5, occurredAt: `${year}-06-01T12:00:00+03:00` };
      for (const url of ['/v1/operations/accrue', '/v1/operations/spend', '/v1/events']) {
        const payload = url === '/v1/events' ? { customer, type: 'x.y', occurredAt: body.occurredAt } : body;
        const e = await refused(url, JSON.stringify(payload), 422, 'body.occurredAt');
        expect(e.code).toBe('business_time_out_of_range');
      }
    }
    const late = new Date(Date.now() - 29 * 86_400_000).toISOString();
    const ok = await postRaw(
      '/v1/operations/accrue',
      JSON.stringify({ customer, amount: 5, occurredAt: late }),
    );
    expect(ok.statusCode).toBe(200);
    const ahead = new Date(Date.now() + 20 * 60_000).toISOString();
    await refused(
      '/v1/operations/accrue',
      JSON.stringify({ customer, amount: 5, occurredAt: ahead }),
      422,
      'body.occurredAt',
    );
  });

  it('holds only declared business times: dates in free-form event properties and read-side instants pass', async () => {
    await registerOpenEventTypes(api.t.db, api.demo.programId, ['x.y']);
    const event = {
      customer,
      type: 'x.y',
      occurredAt: now(),
      properties: { occurredAt: '1900-01-01T00:00:00Z' },
    };
    expect((await postRaw('/v1/events', JSON.stringify(event))).statusCode).toBe(202);
    const asOf = { customer, at: '2001-01-01T00:00:00Z' };
    expect((await postRaw('/v1/customers/lookup', JSON.stringify(asOf))).statusCode).toBe(200);
    const spec = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    const accrue = spec.paths['/v1/operations/accrue'].post.requestBody.content['application/json'].schema;
    expect(accrue.properties.occurredAt['x-business-time']).toBe(true);
  });

  it('replays a call answered while its business time was inside the window, and refuses it new', async () => {
    const body = JSON.stringify({
      customer,
      amount: 7,
      occurredAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    });
    const first = await postRaw('/v1/operations/accrue', body, { 'idempotency-key': 'input-replay-1' });
    expect(first.statusCode).toBe(200);
    const narrow = (pastDays: number) =>
      postRaw(
        '/v1/program/settings',
        JSON.stringify({ settings: { businessTimes: { pastDays, futureMinutes: 15 } }, occurredAt: now() }),
      );
    expect((await narrow(1)).statusCode).toBe(200);
    try {
      const again = await postRaw('/v1/operations/accrue', body, { 'idempotency-key': 'input-replay-1' });
      expect([again.statusCode, again.headers['idempotent-replayed'], again.json()]).toEqual([
        200,
        'true',
        first.json(),
      ]);
      await refused('/v1/operations/accrue', body, 422, 'body.occurredAt');
    } finally {
      expect((await narrow(30)).statusCode).toBe(200);
    }
  });

  it('authenticates before it reads the body: no key answers 401 whatever the body', async () => {
    for (const text of ['{"amount":"x"}', '{"a":1,"a":2}', 'not json']) {
      const r = await postRaw('/v1/operations/accrue', text, { authorization: '' });
      expect({ status: r.statusCode, field: r.json().error.field }).toEqual({
        status: 401,
        field: 'headers.authorization',
      });
    }
  });

  it('names the cause of 413, 414 and 415', async () => {
    const big = JSON.stringify({ reason: 'x'.repeat(1_100_000) });
    const tooLarge = await postRaw('/v1/operations/accrue', big);
    expect({ status: tooLarge.statusCode, field: tooLarge.json().error.field }).toEqual({
      status: 413,
      field: 'body',
    });
    const media = await postRaw('/v1/operations/accrue', '<amount/>', { 'content-type': 'application/xml' });
    expect({ status: media.statusCode, field: media.json().error.field }).toEqual({
      status: 415,
      field: 'headers.content-type',
    });
    const long = await api.app.inject({
      method: 'GET',
      url: `/v1/products/${'a'.repeat(2000)}`,
      headers: { authorization: `Bearer ${api.demo.backOfficeApiKey}` },
    });
    expect({ status: long.statusCode, field: long.json().error.field }).toEqual({
      status: 414,
      field: 'url',
    });
  });

  it('documents the Idempotency-Key as the API checks it: 8 to 128 characters', async () => {
    const spec = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    const header = spec.paths['/v1/operations/accrue'].post.parameters.find(
      (p: { name: string }) => p.name === 'idempotency-key',
    );
    expect(header.schema.pattern).toBe('^[A-Za-z0-9_.:-]{8,128}$');
    const body = JSON.stringify({ customer, amount: 1, occurredAt: now() });
    const short = await postRaw('/v1/operations/accrue', body, { 'idempotency-key': 'short' });
    expect({ status: short.statusCode, field: short.json().error.field }).toEqual({
      status: 400,
      field: 'headers.idempotency-key',
    });
  });
});
