import { z } from 'zod';
import { customerEventTypeSchema } from './customer-event';

/** Event types a program registers, each with the JSON Schema of its events' properties. */

const description = z.string().trim().min(1).max(500);
const propertiesSchema = z
  .record(z.string(), z.unknown())
  .describe(
    'JSON Schema (draft 2020-12) of the properties, an object; supported keywords: type, enum, const, title, description, minLength, maxLength, pattern, format, minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, items, minItems, maxItems, uniqueItems, properties, required, additionalProperties',
  );

export const createEventTypeSchema = z
  .object({
    type: customerEventTypeSchema,
    description: description.optional(),
    propertiesSchema,
  })
  .strict();
export type CreateEventType = z.infer<typeof createEventTypeSchema>;

export const updateEventTypeSchema = createEventTypeSchema;
export type UpdateEventType = CreateEventType;

export const eventTypeRefSchema = z.object({ type: customerEventTypeSchema }).strict();

export const eventTypeStatusSchema = z.enum(['active', 'archived']);

export const eventTypeSchema = z.object({
  type: z.string(),
  description: z.string().nullable(),
  propertiesSchema: z.record(z.string(), z.unknown()),
  version: z.number().int().describe('1 when registered, one more on every update'),
  status: eventTypeStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type EventType = z.infer<typeof eventTypeSchema>;

export const eventTypeListQuerySchema = z
  .object({ status: z.enum(['active', 'archived', 'all']).default('active') })
  .strict();

export const eventTypeListSchema = z.object({ eventTypes: z.array(eventTypeSchema) });
