import { z } from 'zod';

/** An instant with an explicit offset: a time a read asks about (a balance as of, a history window). */
export const instantSchema = z.iso.datetime({ offset: true });

/**
 * A command's business time, with an explicit offset: the moment it happened where it happened. The
 * API holds every one a body carries to the program's window around the recording time
 * (api/input/business-times.ts), and the OpenAPI document marks them `x-business-time`.
 */
export const businessTimeSchema = instantSchema.meta({ 'x-business-time': true });

export const customerEventTypeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'lower-case letters, digits, "_", "." or "-", starting with a letter');

/** A custom event an integration reports about a customer (journeys can wait for and react to them). */
export const recordCustomerEventSchema = z
  .object({
    customer: z.string().min(1).max(200).describe('the customer key in this program (external id)'),
    type: customerEventTypeSchema,
    occurredAt: businessTimeSchema,
    attributes: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type RecordCustomerEvent = z.infer<typeof recordCustomerEventSchema>;

export const customerEventRecordedSchema = z.object({
  eventId: z.uuid(),
  customer: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  recordedAt: z.string(),
});

export type CustomerEventRecorded = z.infer<typeof customerEventRecordedSchema>;

/** What the outbox dispatcher signals to the customer's event workflow. */
export const customerEventSignalSchema = z.object({
  eventId: z.uuid(),
  sequence: z.number().int(),
  programId: z.number().int(),
  customerKey: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  requestId: z.string().nullable(),
});

export type CustomerEventSignal = z.infer<typeof customerEventSignalSchema>;
