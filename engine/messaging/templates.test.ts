import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import type { TemplateVariables } from './template-catalogue';
import { templateContentSchema, type TemplateContent } from './template-content';
import { formatMoney, pluralForm } from './template-filters';
import { renderTemplate, templateVariablesUsed, validateTemplateContent } from './templates';

const variables: TemplateVariables = {
  customer: {
    firstName: 'Анна',
    lastName: 'Петрова',
    name: 'Анна Петрова',
    email: 'anna@example.com',
    phone: '+7 916 ***-**-67',
    locale: 'ru',
    referralCode: 'ANNA42',
    birthDate: '1990-05-03',
    attributes: { shoeSize: '38', pets: ['cat'] },
  },
  program: { name: 'Кофе & Маркет', currency: 'RUB' },
  balance: { points: 21, cash: 123450, cashFormatted: '1 234,50 ₽' },
  lotsExpiring: [
    { points: 40, expiresAt: '2025-02-01T20:59:59.000Z' },
    { points: 15, expiresAt: '2025-02-10T20:59:59.000Z' },
  ],
  lotsExpiringTotal: 55,
  lotsExpiringFirstDate: '2025-02-01T20:59:59.000Z',
  coupon: { code: 'AB12-CD34', name: 'Кофе в подарок', expiresAt: '2025-01-31T21:30:00.000Z' },
  tier: { name: 'Золото', code: 'gold', nextName: null },
};

const moscow = { timeZone: 'Europe/Moscow' };
const sms = (text: string, locale = 'ru'): TemplateContent => ({ sms: { [locale]: { text } } });
const renderSms = (text: string, vars = variables) =>
  renderTemplate(sms(text), 'sms', ['ru'], vars, moscow).text;

describe('template validation', () => {
  it('accepts the catalogue, questionnaire keys, loop variables, assigns and Liquid helpers', () => {
    const text = [
      '{{ customer.firstName | default: "друг" }}, {{ customer.attributes.shoeSize }} {{ customer.attributes["любой ключ"] }}',
      '{% for lot in lotsExpiring %}{{ lot.points }} до {{ lot.expiresAt | date: "%d.%m" }}{{ forloop.index }}{% endfor %}',
      '{% assign total = lotsExpiringTotal | plus: 1 %}{{ total }} {{ lotsExpiring.size }} {{ lotsExpiring.first.points }} {{ lotsExpiring[1].expiresAt }}',
      '{% if coupon %}{{ coupon.code }} {{ coupon.expiresAt | date: "%d.%m.%Y" }}{% endif %}{{ balance.cash | money }} {{ tier.nextName }}',
      '{{ code }} {{ link }} {{ unsubscribeUrl }} {{ message.id }} {{ program.name | upcase }} {{ customer.firstName.size }}',
    ].join('\n');
    expect(validateTemplateContent(sms(text))).toEqual([]);
  });

  it('reports a syntax error with its field and line', () => {
    const issues = validateTemplateContent({
      sms: { ru: { text: 'Здравствуйте!\n{% if balance.points > 0 %}У вас баллы' } },
    });
    expect(issues).toEqual([
      expect.objectContaining({ field: 'content.sms.ru.text', code: 'syntax', line: 2 }),
    ]);
    expect(issues[0]!.message).toMatch(/not closed/);
  });

  it('reports an unknown variable by its path and line, and an unknown filter', () => {
    const issues = validateTemplateContent({
      email: {
        en: {
          subject: 'Hi {{ customer.firstName }}',
          text: 'Line one\nYour size: {{ customer.shoeSize }}',
          html: '<p>{{ balance.points | shout }}</p>',
        },
      },
    });
    expect(issues).toEqual([
      expect.objectContaining({ field: 'content.email.en.text', code: 'unknown_variable', line: 2 }),
      expect.objectContaining({ field: 'content.email.en.html', code: 'unknown_filter', line: 1 }),
    ]);
    expect(issues[0]!.message).toContain('customer.shoeSize');
    expect(issues[1]!.message).toContain('shout');
  });

  it.each([
    ['{{ balance.point }}', 'balance.point'],
    ['{{ lotsExpiring[0].amount }}', 'lotsExpiring[0].amount'],
    ['{{ firstName }}', 'firstName'],
    ['{% for c in customers %}{{ c }}{% endfor %}', 'customers'],
    ['{{ size }}', 'size'],
  ])('refuses %s', (text, unknown) => {
    const [issue] = validateTemplateContent(sms(text));
    expect(issue).toMatchObject({ code: 'unknown_variable' });
    expect(issue!.message).toContain(`unknown variable ${unknown} `);
  });

  it('refuses including files: a template is self-contained', () => {
    for (const tag of ['{% include "secrets" %}', '{% render "x" %}', '{% layout "x" %}']) {
      expect(validateTemplateContent(sms(`a\n${tag}`))).toEqual([
        expect.objectContaining({ code: 'syntax', line: 2, message: expect.stringContaining('include') }),
      ]);
    }
  });

  it('checks button and image fields of bot channels', () => {
    const issues = validateTemplateContent({
      viber: { ru: { text: 'ok', imageUrl: '{{ coupon.image }}', button: { text: 'Open', url: '{{ link' } } },
    });
    expect(issues.map((i) => i.field)).toEqual(['content.viber.ru.imageUrl', 'content.viber.ru.button.url']);
  });

  it('shapes the content: subject for e-mail, no html or button where they do not belong', () => {
    expect(templateContentSchema.safeParse({ email: { ru: { text: 'x' } } }).success).toBe(false);
    expect(templateContentSchema.safeParse({ sms: { ru: { text: 'x', html: '<p>' } } }).success).toBe(false);
    expect(templateContentSchema.safeParse({ sms: { RU: { text: 'x' } } }).success).toBe(false);
    expect(templateContentSchema.safeParse({ sms: {} }).success).toBe(false);
    expect(templateContentSchema.safeParse({}).success).toBe(false);
    expect(
      templateContentSchema.safeParse({
        telegram: {
          en: { text: 'x', imageUrl: 'https://x/{{ coupon.code }}.png', button: { text: 'b', url: 'u' } },
        },
      }).success,
    ).toBe(true);
  });
});

describe('template rendering', () => {
  it('picks the customer locale, then the program one, then ru, then en, then the first', () => {
    const content: TemplateContent = {
      sms: { ru: { text: 'Привет' }, en: { text: 'Hello' }, de: { text: 'Hallo' } },
    };
    const pick = (locales: Array<string | null>, only?: string[]) =>
      renderTemplate(
        only ? { sms: Object.fromEntries(only.map((l) => [l, content.sms![l]!])) } : content,
        'sms',
        locales,
        variables,
        moscow,
      );
    expect(pick(['en', 'ru'])).toMatchObject({ locale: 'en', text: 'Hello' });
    expect(pick(['en-GB'])).toMatchObject({ locale: 'en' });
    expect(pick(['fr', 'de'])).toMatchObject({ locale: 'de', text: 'Hallo' });
    expect(pick([null, 'fr'])).toMatchObject({ locale: 'ru' });
    expect(pick(['en'], ['ru', 'de'])).toMatchObject({ locale: 'ru', text: 'Привет' });
    expect(pick(['fr'], ['en', 'de'])).toMatchObject({ locale: 'en' });
    expect(pick(['fr'], ['es', 'de'])).toMatchObject({ locale: 'de' });
  });

  it('refuses a channel the template has no content for, naming channel', () => {
    expect(() => renderTemplate(sms('x'), 'email', ['ru'], variables, moscow)).toThrow(
      expect.objectContaining({ code: 'template_channel_missing', status: 422, field: 'channel' }),
    );
  });

  it('escapes values in html but not in the text, the subject or with | raw', () => {
    const vars = { ...variables, customer: { ...variables.customer!, firstName: '<b>Tom & "Jerry"</b>' } };
    const rendered = renderTemplate(
      {
        email: {
          en: {
            subject: 'Hi {{ customer.firstName }}',
            text: 'Hi {{ customer.firstName }}',
            html: '<p>Hi {{ customer.firstName }}</p>{{ customer.firstName | raw }}',
          },
        },
      },
      'email',
      ['en'],
      vars,
      moscow,
    );
    expect(rendered).toEqual({
      locale: 'en',
      subject: 'Hi <b>Tom & "Jerry"</b>',
      text: 'Hi <b>Tom & "Jerry"</b>',
      html: '<p>Hi &lt;b&gt;Tom &amp; &#34;Jerry&#34;&lt;/b&gt;</p><b>Tom & "Jerry"</b>',
    });
  });

  it('renders bot parts with the image and the button', () => {
    const rendered = renderTemplate(
      {
        telegram: {
          ru: {
            text: '{{ coupon.name }}',
            imageUrl: 'https://img.example/{{ coupon.code }}.png',
            button: { text: 'Открыть', url: '{{ link }}' },
          },
        },
      },
      'telegram',
      ['ru'],
      { ...variables, link: 'https://t.me/bot?start=x' },
      moscow,
    );
    expect(rendered).toEqual({
      locale: 'ru',
      text: 'Кофе в подарок',
      imageUrl: 'https://img.example/AB12-CD34.png',
      button: { text: 'Открыть', url: 'https://t.me/bot?start=x' },
    });
  });

  it.each([
    [1, 'балл'],
    [2, 'балла'],
    [5, 'баллов'],
    [11, 'баллов'],
    [12, 'баллов'],
    [21, 'балл'],
    [22, 'балла'],
    [111, 'баллов'],
    [0, 'баллов'],
  ])('plural: %i %s', (points, word) => {
    const vars = { ...variables, balance: { ...variables.balance!, points } };
    expect(
      renderSms('У вас {{ balance.points }} {{ balance.points | plural: "балл", "балла", "баллов" }}', vars),
    ).toBe(`У вас ${points} ${word}`);
  });

  it('plural of two forms and of fractions', () => {
    expect(pluralForm(1, ['point', 'points'])).toBe('point');
    expect(pluralForm(3, ['point', 'points'])).toBe('points');
    expect(pluralForm(1.5, ['балл', 'балла', 'баллов'])).toBe('балла');
  });

  it('prints money from minor units in the locale of the text', () => {
    expect(renderSms('{{ balance.cash | money }}')).toBe('1 234,50 ₽');
    expect(renderSms('{{ 500 | money: "EUR" }}')).toBe('5,00 €');
    expect(
      renderTemplate(sms('{{ balance.cash | money }}', 'en'), 'sms', ['en'], variables, moscow).text,
    ).toBe('RUB 1,234.50');
    expect(formatMoney(1500, 'JPY', 'ru')).toBe('1 500 ¥');
    expect(renderSms('[{{ customer.nothing | money }}]')).toBe('[]');
  });

  it('prints dates in the time zone given, calendar dates as they are', () => {
    // 21:30 UTC on 31 January is 00:30 on 1 February in Moscow and 02:30 in Yekaterinburg.
    expect(renderSms('{{ coupon.expiresAt | date: "%d.%m.%Y %H:%M" }}')).toBe('01.02.2025 00:30');
    expect(
      renderTemplate(sms('{{ coupon.expiresAt | date: "%d.%m.%Y %H:%M" }}'), 'sms', ['ru'], variables, {
        timeZone: 'America/New_York',
      }).text,
    ).toBe('31.01.2025 16:30');
    expect(renderSms('{{ coupon.expiresAt | date: "%H:%M", "Asia/Yekaterinburg" }}')).toBe('02:30');
    expect(
      renderTemplate(sms('{{ customer.birthDate | date: "%d.%m" }}'), 'sms', ['ru'], variables, {
        timeZone: 'America/Los_Angeles',
      }).text,
    ).toBe('03.05');
  });

  it('prints missing variables as nothing and loops over expiring lots', () => {
    const text =
      '{{ customer.firstName }}{{ tier.nextName }}|{% for lot in lotsExpiring %}{{ lot.points }};{% endfor %}';
    expect(renderSms(text)).toBe('Анна|40;15;');
    expect(renderSms(text, { program: variables.program })).toBe('|');
  });

  it('turns a render failure into a 422 naming the field', () => {
    let error: unknown;
    try {
      renderSms('{% for i in (1..100000000) %}{{ i }}{% endfor %}');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'template_render_failed', field: 'content.sms.ru.text' });
    expect(() => renderSms('{{ 1 | money: "XX1" }}')).toThrow(expect.objectContaining({ status: 422 }));
  });

  it('renders the same text every time, thousands per second', () => {
    const content: TemplateContent = {
      sms: {
        ru: {
          text: '{{ customer.firstName }}, у вас {{ balance.points }} {{ balance.points | plural: "балл", "балла", "баллов" }}; {{ lotsExpiringTotal }} сгорят {{ lotsExpiringFirstDate | date: "%d.%m" }}. {{ balance.cash | money }}',
        },
      },
    };
    const first = renderTemplate(content, 'sms', ['ru'], variables, moscow);
    const started = performance.now();
    for (let i = 0; i < 5_000; i += 1) {
      expect(renderTemplate(content, 'sms', ['ru'], variables, moscow)).toEqual(first);
    }
    expect(5_000 / ((performance.now() - started) / 1000)).toBeGreaterThan(2_000);
    expect(first.text).toBe('Анна, у вас 21 балл; 55 сгорят 01.02. 1 234,50 ₽');
  });

  it('lists the variables a part reads with their values', () => {
    const content: TemplateContent = {
      sms: {
        ru: {
          text: '{{ customer.firstName }} {{ balance.points }} {% for l in lotsExpiring %}{{ l.points }}{% endfor %}{{ code }}',
        },
      },
    };
    expect(templateVariablesUsed(content, 'sms', ['ru'], variables)).toEqual({
      'balance.points': 21,
      code: null,
      'customer.firstName': 'Анна',
      lotsExpiring: variables.lotsExpiring,
    });
  });
});
