/**
 * The key of the stream (and of the per-customer workflow) an event goes to: the customer id, so one
 * customer has one stream whatever identifier the caller named them by, or `anon:<anonymousId>` for a
 * visitor not yet known. An anonymous id never looks like a customer id.
 */
export function eventStreamKey(customerId: number | null, anonymousId: string | null): string {
  if (customerId !== null) return String(customerId);
  if (anonymousId === null) throw new Error('an event names a customer or an anonymous visitor');
  return anonymousStreamKey(anonymousId);
}

export const anonymousStreamKey = (anonymousId: string): string => `anon:${anonymousId}`;

/**
 * The anonymous id of a customer identifier that named nobody, when the program keeps such events
 * (`events.unknownCustomers: 'anonymous'`): its stored kind and value, `external:42`, `phone:+79161234567`.
 * Identifying that visitor (POST /v1/events/identify) attaches the events to the customer.
 */
export const derivedAnonymousId = (key: { kind: string; value: string }): string =>
  `${key.kind}:${key.value}`;
