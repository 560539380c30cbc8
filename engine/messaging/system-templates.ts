import type { TemplateContent } from './template-content';

/**
 * The texts of the messages the platform sends by itself, used while a program has no template of
 * that key: a program overrides one by creating a template with the same key (its own wording, its
 * own languages). They are transactional: no consent, caps or quiet hours hold them back.
 */
export const systemTemplates = {
  'one-time-code': {
    sms: {
      ru: { text: 'Код {{ code }}. Никому его не сообщайте. {{ program.name }}' },
      en: { text: 'Your code is {{ code }}. Do not share it. {{ program.name }}' },
    },
    email: {
      ru: {
        subject: 'Код подтверждения {{ program.name }}',
        text: 'Ваш код: {{ code }}\nОн действует 5 минут. Никому его не сообщайте.',
      },
      en: {
        subject: '{{ program.name }} confirmation code',
        text: 'Your code: {{ code }}\nIt is valid for 5 minutes. Do not share it.',
      },
    },
    viber: {
      ru: { text: 'Код {{ code }}. Никому его не сообщайте.' },
      en: { text: 'Your code is {{ code }}. Do not share it.' },
    },
    telegram: {
      ru: { text: 'Код {{ code }}. Никому его не сообщайте.' },
      en: { text: 'Your code is {{ code }}. Do not share it.' },
    },
  },
  'activation-link': {
    sms: {
      ru: { text: 'Завершите регистрацию в {{ program.name }}: {{ link }}' },
      en: { text: 'Finish joining {{ program.name }}: {{ link }}' },
    },
    viber: {
      ru: { text: 'Завершите регистрацию в {{ program.name }}: {{ link }}' },
      en: { text: 'Finish joining {{ program.name }}: {{ link }}' },
    },
    telegram: {
      ru: { text: 'Завершите регистрацию в {{ program.name }}: {{ link }}' },
      en: { text: 'Finish joining {{ program.name }}: {{ link }}' },
    },
    email: {
      ru: {
        subject: 'Завершите регистрацию в {{ program.name }}',
        text: 'Чтобы завершить регистрацию, откройте ссылку: {{ link }}',
      },
      en: {
        subject: 'Finish joining {{ program.name }}',
        text: 'To finish joining, open this link: {{ link }}',
      },
    },
  },
  'channel-link': {
    sms: {
      ru: { text: 'Подключите {{ program.name }} в мессенджере: {{ link }}' },
      en: { text: 'Get {{ program.name }} messages in your messenger: {{ link }}' },
    },
    email: {
      ru: { subject: '{{ program.name }} в мессенджере', text: 'Откройте ссылку: {{ link }}' },
      en: { subject: '{{ program.name }} in your messenger', text: 'Open this link: {{ link }}' },
    },
  },
} satisfies Record<string, TemplateContent>;

export type SystemTemplateKey = keyof typeof systemTemplates;
