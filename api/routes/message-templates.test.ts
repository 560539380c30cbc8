import { beforeAll, describe, expect, it } from 'vitest';
import { customerAccount } from '../../db/customers/accounts';
import { accruePoints } from '../../db/ledger/points';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';

const api = useApiFixture('message-templates');

const manage = (url: string, payload: unknown) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey });

const welcome = {
  key: 'welcome',
  purpose: 'marketing',
  content: {
    sms: { ru: { text: 'Здравствуйте, {{ customer.firstName }}!\nУ вас {{ balance.points }} баллов.' } },
  },
};

describe('message templates', () => {
  it('creates a template at version 1; a marketing one gets the promotions topic', async () => {
    const response = await manage('/v1/message-templates', { ...welcome, description: 'After registration' });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      key: 'welcome',
      purpose: 'marketing',
      topic: 'promotions',
      version: 1,
      status: 'active',
      content: welcome.content,
      description: 'After registration',
      updatedBy: expect.stringMatching(/^api-key:/),
    });
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select(['action', 'subject'])
      .where('subject', '=', 'message_template:welcome')
      .execute();
    expect(audit).toEqual([{ action: 'message_template.created', subject: 'message_template:welcome' }]);
  });

  it('refuses a key used before with 409 naming key, and a topic on a transactional template', async () => {
    const again = await manage('/v1/message-templates', welcome);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'template_exists', field: 'key' });
    const topic = await manage('/v1/message-templates', {
      key: 'otp',
      purpose: 'transactional',
      topic: 'news',
      content: { sms: { ru: { text: '{{ code }}' } } },
    });
    expect(topic.statusCode).toBe(400);
    expect(topic.json().error.field).toBe('body.topic');
  });

  it('saves an update as version 2 and keeps version 1 readable', async () => {
    const content = { sms: { ru: { text: '{{ customer.firstName }}, новые акции!' } } };
    const updated = await manage('/v1/message-templates/update', { key: 'welcome', content });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      version: 2,
      content,
      topic: 'promotions',
      description: 'After registration',
    });

    const latest = await apiGet(api, '/v1/message-templates/welcome');
    expect(latest.json()).toMatchObject({ version: 2, content });
    const first = await apiGet(api, '/v1/message-templates/welcome?version=1');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ version: 1, content: welcome.content });
    const missing = await apiGet(api, '/v1/message-templates/welcome?version=3');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'template_version_not_found', field: 'version' });
    const versions = await api.t.db
      .selectFrom('message_template_versions')
      .select('version')
      .orderBy('version')
      .execute();
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('refuses a syntax error with 422 naming the field and its line', async () => {
    const response = await manage('/v1/message-templates', {
      key: 'broken',
      purpose: 'transactional',
      content: { sms: { ru: { text: 'Ваш код {{ code }}\n{% if code %}без конца' } } },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'template_syntax', field: 'content.sms.ru.text' });
    expect(response.json().error.message).toMatch(/line 2/);
  });

  it('refuses an unknown variable naming it, allows any questionnaire answer', async () => {
    const unknown = await manage('/v1/message-templates', {
      key: 'shoes',
      purpose: 'marketing',
      content: { sms: { ru: { text: 'Размер {{ customer.shoeSize }}' } } },
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error).toMatchObject({
      code: 'template_unknown_variable',
      field: 'content.sms.ru.text',
    });
    expect(unknown.json().error.message).toContain('customer.shoeSize');

    const attribute = await manage('/v1/message-templates', {
      key: 'shoes',
      purpose: 'marketing',
      topic: 'news',
      content: { sms: { ru: { text: 'Размер {{ customer.attributes.shoeSize }}' } } },
    });
    expect(attribute.statusCode).toBe(201);
    expect(attribute.json().topic).toBe('news');
  });

  it('archives and restores; lists active, archived or all', async () => {
    const archived = await manage('/v1/message-templates/archive', { key: 'shoes' });
    expect(archived.json()).toMatchObject({ status: 'archived', version: 1 });
    const keys = async (query: string) =>
      (await apiGet(api, `/v1/message-templates${query}`))
        .json()
        .templates.map((t: { key: string }) => t.key);
    expect(await keys('')).toEqual(['welcome']);
    expect(await keys('?status=archived')).toEqual(['shoes']);
    expect(await keys('?status=all')).toEqual(['shoes', 'welcome']);
    const restored = await manage('/v1/message-templates/restore', { key: 'shoes' });
    expect(restored.json()).toMatchObject({ status: 'active' });
    const missing = await manage('/v1/message-templates/archive', { key: 'nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'template_not_found', field: 'key' });
  });

  it('lists the variable catalogue; scopes are enforced', async () => {
    const catalogue = await apiGet(api, '/v1/message-templates/variables');
    expect(catalogue.statusCode).toBe(200);
    expect(catalogue.json().variables).toContainEqual(
      expect.objectContaining({ path: 'customer.attributes.*', type: 'string' }),
    );
    expect((await apiGet(api, '/v1/message-templates', api.demo.tillApiKey)).statusCode).toBe(403);
    const tillCreate = await api.call('/v1/message-templates', { ...welcome, key: 'till' });
    expect(tillCreate.statusCode).toBe(403);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const document = await api.app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(document.statusCode).toBe(200);
    const paths = Object.keys(document.json().paths);
    for (const path of [
      '/v1/message-templates',
      '/v1/message-templates/preview',
      '/v1/message-templates/{key}',
    ]) {
      expect(paths).toContain(path);
    }
  });
});

describe('message template preview', () => {
  const now = new Date();
  const phone = { kind: 'phone', value: '+7 916 555 44 21' } as const;

  beforeAll(async () => {
    const registered = await api.call('/v1/customers', {
      channel: 'operator',
      registeredAt: now.toISOString(),
      phone: phone.value,
      email: 'anna@example.com',
      profile: { firstName: 'Анна', lastName: 'Петрова', locale: 'en', timeZone: 'Asia/Yekaterinburg' },
      questionnaire: { pets: [{ kind: 'cat', name: 'Мурка' }] },
    });
    expect(registered.statusCode).toBe(201);
    const customerId = registered.json().customerId as number;
    await api.t.db.transaction().execute(async (trx) => {
      const accountId = await customerAccount(trx, customerId, 'points', 'bonus');
      const lot = (amount: number, expiresAt: Date | null) =>
        accruePoints(trx, {
          programId: api.demo.programId,
          occurredAt: now,
          actor: 'test',
          accountId,
          amount,
          lot: { activatesAt: new Date(now.getTime() - 60_000), expiresAt },
        });
      await lot(15, null);
      await lot(6, new Date(now.getTime() + 5 * 86_400_000));
      await lot(100, new Date(now.getTime() + 60 * 86_400_000));
    });
  });

  const preview = (body: object) => manage('/v1/message-templates/preview', body);

  it("renders a saved template with a real customer's name, balance and expiring points", async () => {
    await manage('/v1/message-templates', {
      key: 'balance',
      purpose: 'marketing',
      content: {
        sms: {
          ru: {
            text: '{{ customer.firstName }}, у вас {{ balance.points }} {{ balance.points | plural: "балл", "балла", "баллов" }}; сгорят {{ lotsExpiringTotal }}. {{ customer.phone }} {{ customer.attributes.pets[0].name }}',
          },
        },
      },
    });
    const response = await preview({ key: 'balance', channel: 'sms', customer: phone });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      channel: 'sms',
      locale: 'ru',
      text: 'Анна, у вас 121 балл; сгорят 6. +7 916 ***-**-21 Мурка',
      variables: {
        'customer.firstName': 'Анна',
        'balance.points': 121,
        lotsExpiringTotal: 6,
        'customer.phone': '+7 916 ***-**-21',
      },
    });
  });

  it('falls back from the customer locale en to ru, and takes en when the template has it', async () => {
    const content = (locales: string[]) => ({
      sms: Object.fromEntries(locales.map((l) => [l, { text: `${l}: {{ customer.firstName }}` }])),
    });
    const ruOnly = await preview({ content: content(['ru']), channel: 'sms', customer: phone });
    expect(ruOnly.json()).toMatchObject({ locale: 'ru', text: 'ru: Анна' });
    const both = await preview({ content: content(['ru', 'en']), channel: 'sms', customer: phone });
    expect(both.json()).toMatchObject({ locale: 'en', text: 'en: Анна' });
    const asked = await preview({
      content: content(['ru', 'en']),
      channel: 'sms',
      customer: phone,
      locale: 'ru',
    });
    expect(asked.json()).toMatchObject({ locale: 'ru' });
  });

  it('escapes values in html but not in the text', async () => {
    const response = await preview({
      content: {
        email: {
          ru: {
            subject: '{{ program.name }}',
            text: '{{ program.name }}',
            html: '<h1>{{ program.name }}</h1>',
          },
        },
      },
      channel: 'email',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      subject: 'Demo Coffee & Market',
      text: 'Demo Coffee & Market',
      html: '<h1>Demo Coffee &amp; Market</h1>',
    });
  });

  it('prints dates in the customer’s time zone and samples without a customer', async () => {
    const zoned = await preview({
      content: { sms: { ru: { text: '{{ lotsExpiringFirstDate | date: "%z" }}' } } },
      channel: 'sms',
      customer: phone,
    });
    expect(zoned.json().text).toBe('+0500');
    const sample = await preview({
      content: { sms: { ru: { text: '{{ customer.firstName }} {{ balance.cashFormatted }}' } } },
      channel: 'sms',
    });
    expect(sample.json()).toMatchObject({ text: 'Анна 500,00 ₽' });
  });

  it('answers 4xx naming the field for what it cannot preview', async () => {
    const cases: Array<[object, number, string]> = [
      [{ content: { sms: { ru: { text: '{{ x' } } }, channel: 'sms' }, 422, 'content.sms.ru.text'],
      [{ key: 'balance', channel: 'email' }, 422, 'channel'],
      [{ key: 'nothing', channel: 'sms' }, 404, 'key'],
      [
        { key: 'balance', channel: 'sms', customer: { kind: 'phone', value: '+7 999 000 00 00' } },
        404,
        'customer',
      ],
      [{ key: 'balance', channel: 'sms', couponId: 999_999 }, 404, 'couponId'],
      [{ channel: 'sms' }, 400, 'body.key'],
    ];
    for (const [body, status, field] of cases) {
      const response = await preview(body);
      expect({ status: response.statusCode, field: response.json().error.field }).toEqual({ status, field });
    }
  });
});
