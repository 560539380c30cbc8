import { z } from 'zod';
import { identifierSchema } from './identifier';

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

/** A web shop's or app's id of a visitor not yet known as a customer (set in a cookie). */
export const anonymousIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .describe("the visitor's anonymous id (a web shop's or app's cookie)");

const eventFields = {
  eventId: z
    .uuid()
    .optional()
    .describe('your id of the event: sending it again (in any call, single or batch) records it once'),
  customer: identifierSchema
    .optional()
    .describe('the customer, by any identifier; or give anonymousId for a visitor not yet known'),
  anonymousId: anonymousIdSchema.optional(),
  type: customerEventTypeSchema.describe('a type registered for the program (POST /v1/event-types)'),
  occurredAt: businessTimeSchema,
  properties: z
    .record(z.string(), z.unknown())
    .default({})
    .describe("checked against the JSON Schema registered for the event's type"),
};

/** A custom event an integration reports about a customer (journeys and segments react to them). */
export const recordCustomerEventSchema = z
  .object(eventFields)
  .strict()
  .superRefine((event, ctx) => {
    if ((event.customer === undefined) === (event.anonymousId === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['customer'],
        message: 'give either customer (an identifier) or anonymousId, not both',
      });
  });

export type RecordCustomerEvent = z.infer<typeof recordCustomerEventSchema>;

/** What was recorded: a new event (`accepted`) or the one stored under the same eventId (`replayed`). */
export const customerEventRecordedSchema = z.object({
  eventId: z.uuid(),
  status: z.enum(['accepted', 'replayed']),
  customerId: z.number().int().nullable().describe('null while the visitor is anonymous'),
  anonymousId: z.string().nullable(),
  type: z.string(),
  occurredAt: z.string(),
  recordedAt: z.string(),
});

export type CustomerEventRecorded = z.infer<typeof customerEventRecordedSchema>;

export const maxEventsPerBatch = 1_000;

export const recordCustomerEventBatchSchema = z
  .object({
    events: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .max(maxEventsPerBatch)
      .describe(
        'up to 1 000 events, each the body of POST /v1/events; each is checked on its own (its occurredAt against the program window too)',
      ),
  })
  .strict();

/** An error of one event of a batch, in the API error's shape plus its HTTP status. */
export const eventRefusalSchema = z.object({
  code: z.string(),
  message: z.string(),
  status: z.number().int(),
  field: z.string().optional().describe('events.<i>.<field>, e.g. events.3.properties.total'),
});

export const batchEventResultSchema = z.discriminatedUnion('status', [
  customerEventRecordedSchema.extend({ index: z.number().int() }),
  z.object({ index: z.number().int(), status: z.literal('refused'), error: eventRefusalSchema }),
]);

export type BatchEventResult = z.infer<typeof batchEventResultSchema>;

export const customerEventBatchRecordedSchema = z.object({
  accepted: z.number().int(),
  replayed: z.number().int(),
  refused: z.number().int(),
  results: z.array(batchEventResultSchema).describe('one per event, in the order given'),
});

export type CustomerEventBatchRecorded = z.infer<typeof customerEventBatchRecordedSchema>;

/** An anonymous visitor becomes a known customer. */
export const identifyVisitorSchema = z
  .object({ anonymousId: anonymousIdSchema, customer: identifierSchema })
  .strict();

export type IdentifyVisitor = z.infer<typeof identifyVisitorSchema>;

export const visitorIdentifiedSchema = z.object({
  anonymousId: z.string(),
  customerId: z.number().int(),
  attachedEvents: z.number().int().describe('anonymous events this call attached to the customer'),
  alreadyIdentified: z.boolean().describe('true when the visitor had identified as this customer before'),
});

export type VisitorIdentified = z.infer<typeof visitorIdentifiedSchema>;

/** What the outbox dispatcher signals to the customer's event workflow. */
export const customerEventSignalSchema = z.object({
  eventId: z.uuid(),
  sequence: z.number().int(),
  programId: z.number().int(),
  /** The stream's key: the customer id, or `anon:<anonymousId>` for an anonymous visitor. */
  customerKey: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  requestId: z.string().nullable(),
});

export type CustomerEventSignal = z.infer<typeof customerEventSignalSchema>;
