import { describe, expect, it } from 'vitest';
import { consentDecision, marketingConsents, type ConsentState, type LegalBasis } from './consent';
import type { ChannelKind } from './contracts';

const at = (day: number) => new Date(Date.UTC(2026, 2, day));
const state = (channel: ChannelKind, topic: string, granted: boolean, day = 1): ConsentState => ({
  channel,
  topic,
  granted,
  occurredAt: at(day),
});

const decide = (
  legalBasis: LegalBasis,
  states: ConsentState[],
  message: { channel?: ChannelKind; topic?: string | null; purpose?: 'transactional' | 'marketing' } = {},
) =>
  consentDecision({
    purpose: message.purpose ?? 'marketing',
    channel: message.channel ?? 'sms',
    topic: message.topic === undefined ? 'promotions' : message.topic,
    legalBasis,
    states,
  });

const allowed = { allowed: true };
const noConsent = { allowed: false, reason: 'no_consent' };
const withdrawn = { allowed: false, reason: 'consent_withdrawn' };

describe('consentDecision', () => {
  // [case, states, decision under `consent`, decision under `legitimate-interest`]
  const table: Array<[string, ConsentState[], object, object]> = [
    ['nothing stated', [], noConsent, allowed],
    ['channel granted', [state('sms', 'all', true)], allowed, allowed],
    ['channel withdrawn', [state('sms', 'all', false)], withdrawn, withdrawn],
    ['topic granted', [state('sms', 'promotions', true)], allowed, allowed],
    ['topic withdrawn', [state('sms', 'promotions', false)], withdrawn, withdrawn],
    ['another topic granted only', [state('sms', 'news', true)], noConsent, allowed],
    ['another topic withdrawn only', [state('sms', 'news', false)], noConsent, allowed],
    ['another channel granted only', [state('email', 'all', true)], noConsent, allowed],
    ['another channel withdrawn only', [state('email', 'all', false)], noConsent, allowed],
    [
      'topic withdrawn, channel granted (topic wins)',
      [state('sms', 'all', true, 5), state('sms', 'promotions', false, 1)],
      withdrawn,
      withdrawn,
    ],
    [
      'topic granted after the channel was withdrawn (topic wins)',
      [state('sms', 'all', false, 1), state('sms', 'promotions', true, 5)],
      allowed,
      allowed,
    ],
    [
      'channel withdrawn after the topic was granted (a STOP stops it)',
      [state('sms', 'all', false, 5), state('sms', 'promotions', true, 1)],
      withdrawn,
      withdrawn,
    ],
    [
      'channel granted after the topic was withdrawn (the no stays)',
      [state('sms', 'all', true, 5), state('sms', 'promotions', false, 1)],
      withdrawn,
      withdrawn,
    ],
  ];

  it.each(table)('%s', (_case, states, underConsent, underInterest) => {
    expect(decide('consent', states)).toEqual(underConsent);
    expect(decide('legitimate-interest', states)).toEqual(underInterest);
  });

  it('decides a message without a topic, or of topic all, by the channel statement alone', () => {
    const states = [state('sms', 'promotions', true)];
    for (const topic of [null, 'all']) {
      expect(decide('consent', states, { topic })).toEqual(noConsent);
      expect(decide('consent', [...states, state('sms', 'all', false)], { topic })).toEqual(withdrawn);
      expect(decide('consent', [state('sms', 'all', true)], { topic })).toEqual(allowed);
    }
  });

  it('sends transactional messages whatever was stated', () => {
    for (const legalBasis of ['consent', 'legitimate-interest'] as const) {
      for (const states of [[], [state('sms', 'all', false)], [state('sms', 'promotions', false)]]) {
        expect(decide(legalBasis, states, { purpose: 'transactional' })).toEqual(allowed);
      }
    }
  });

  it('treats the receipt channel like any other for marketing', () => {
    expect(decide('consent', [], { channel: 'receipt' })).toEqual(noConsent);
    expect(decide('consent', [state('receipt', 'all', true)], { channel: 'receipt' })).toEqual(allowed);
    expect(decide('legitimate-interest', [state('receipt', 'all', false)], { channel: 'receipt' })).toEqual(
      withdrawn,
    );
    expect(
      decide('consent', [state('receipt', 'all', false)], { channel: 'receipt', purpose: 'transactional' }),
    ).toEqual(allowed);
  });
});

describe('marketingConsents', () => {
  it("lists every channel's all and each stated topic with its effect", () => {
    const states = [state('email', 'all', true), state('sms', 'all', false), state('sms', 'news', true, 2)];
    expect(marketingConsents(states, 'consent')).toEqual([
      { channel: 'sms', topic: 'all', granted: false, effective: 'not allowed: consent withdrawn' },
      { channel: 'sms', topic: 'news', granted: true, effective: 'allowed' },
      { channel: 'email', topic: 'all', granted: true, effective: 'allowed' },
      { channel: 'viber', topic: 'all', granted: null, effective: 'not allowed: no consent' },
      { channel: 'telegram', topic: 'all', granted: null, effective: 'not allowed: no consent' },
      { channel: 'receipt', topic: 'all', granted: null, effective: 'not allowed: no consent' },
    ]);
    expect(marketingConsents([], 'legitimate-interest').map((m) => m.effective)).toEqual(
      Array(5).fill('allowed'),
    );
  });
});
