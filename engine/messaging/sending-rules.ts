import type { MessagePurpose, MessagingPolicy } from './contracts';
import { quietHoursRelease } from './quiet-hours';

/** Why the rules of sending stopped a message; recorded as the message's reason. */
export type SkipReason =
  'no_consent' | 'consent_withdrawn' | 'customer_cap' | 'program_cap' | 'no_destination' | 'no_provider';

export interface SendingRulesInput {
  purpose: MessagePurpose;
  /** The consent decision for this channel and topic (engine/messaging/consent.ts). */
  consent: { allowed: true } | { allowed: false; reason: 'no_consent' | 'consent_withdrawn' };
  /** Marketing messages already queued or sent to the customer within the customer cap's period. */
  customerRecent: number;
  /** The program's marketing messages within the program cap's period. */
  programRecent: number;
  policy: MessagingPolicy;
  /** When the message is due (the business time of its cause, or the journey's timer). */
  dueAt: Date;
  /** The customer's time zone (their profile's, else the program's). */
  timeZone: string;
}

export type SendingDecision = { send: true; notBefore: Date } | { send: false; reason: SkipReason };

/**
 * The rules of sending for one message on one channel. Transactional messages (codes, links, receipts)
 * are never capped, delayed or held to marketing consent; marketing needs consent, stays under the
 * customer's and the program's caps (a capped message is skipped, not postponed: a campaign that would
 * exceed them was planned too wide) and waits out quiet hours in the customer's zone.
 */
export function sendingDecision(input: SendingRulesInput): SendingDecision {
  if (input.purpose === 'transactional') return { send: true, notBefore: input.dueAt };
  if (!input.consent.allowed) return { send: false, reason: input.consent.reason };
  const { customerCap, programCap, quietHours } = input.policy;
  if (customerCap && input.customerRecent >= customerCap.messages)
    return { send: false, reason: 'customer_cap' };
  if (programCap && input.programRecent >= programCap.messages) return { send: false, reason: 'program_cap' };
  return { send: true, notBefore: quietHoursRelease(input.dueAt, input.timeZone, quietHours) };
}
