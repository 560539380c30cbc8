import { channelSchema, type ChannelKind, type MessagePurpose, type MessagingPolicy } from './contracts';

export type LegalBasis = MessagingPolicy['legalBasis'];

/** The latest statement of a customer for one channel and topic (`all` or a marketing topic). */
export interface ConsentState {
  channel: ChannelKind;
  topic: string;
  granted: boolean;
  occurredAt: Date;
}

export type ConsentRefusal = 'no_consent' | 'consent_withdrawn';
export type ConsentDecision = { allowed: true } | { allowed: false; reason: ConsentRefusal };

/** The topic that covers every marketing topic of a channel. */
export const allTopics = 'all';

/**
 * May a message of this purpose go to the customer on this channel and topic? Transactional messages
 * (one-time codes, activation links, receipts) never need consent. For marketing the most specific
 * statement decides: (channel, topic) over (channel, `all`); a channel is always named, since a yes to
 * e-mail says nothing about SMS. One exception keeps a STOP meaning stop: a withdrawal of `all` made
 * after a topic's grant outweighs that older grant (a topic granted again after it counts again). With
 * nothing stated, the legal basis decides: `consent` needs a yes, `legitimate-interest` needs no no.
 */
export function consentDecision(input: {
  purpose: MessagePurpose;
  channel: ChannelKind;
  topic: string | null;
  legalBasis: LegalBasis;
  states: readonly ConsentState[];
}): ConsentDecision {
  if (input.purpose === 'transactional') return { allowed: true };
  const ofChannel = input.states.filter((s) => s.channel === input.channel);
  const general = ofChannel.find((s) => s.topic === allTopics);
  const specific =
    input.topic === null || input.topic === allTopics
      ? undefined
      : ofChannel.find((s) => s.topic === input.topic);
  const stopAfterGrant =
    specific?.granted && general && !general.granted && general.occurredAt > specific.occurredAt;
  const deciding = stopAfterGrant ? general : (specific ?? general);
  if (deciding) return deciding.granted ? { allowed: true } : { allowed: false, reason: 'consent_withdrawn' };
  return input.legalBasis === 'legitimate-interest'
    ? { allowed: true }
    : { allowed: false, reason: 'no_consent' };
}

export type MarketingEffect = 'allowed' | 'not allowed: no consent' | 'not allowed: consent withdrawn';

export interface MarketingConsent {
  channel: ChannelKind;
  topic: string;
  /** What the customer last stated for exactly this channel and topic; null: nothing. */
  granted: boolean | null;
  effective: MarketingEffect;
}

/**
 * What the customer's statements mean for marketing: every channel's `all`, and each topic stated on
 * a channel, decided as a message of that topic would be.
 */
export function marketingConsents(
  states: readonly ConsentState[],
  legalBasis: LegalBasis,
): MarketingConsent[] {
  return channelSchema.options.flatMap((channel) => {
    const topics = states
      .filter((s) => s.channel === channel && s.topic !== allTopics)
      .map((s) => s.topic)
      .sort();
    return [allTopics, ...topics].map((topic) => {
      const decision = consentDecision({ purpose: 'marketing', channel, topic, legalBasis, states });
      return {
        channel,
        topic,
        granted: states.find((s) => s.channel === channel && s.topic === topic)?.granted ?? null,
        effective: decision.allowed
          ? 'allowed'
          : decision.reason === 'no_consent'
            ? 'not allowed: no consent'
            : 'not allowed: consent withdrawn',
      };
    });
  });
}
