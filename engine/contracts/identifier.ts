import { z } from 'zod';

export const identifierKindSchema = z.enum(['card', 'barcode', 'magstripe', 'phone', 'email', 'external']);
export type IdentifierKind = z.infer<typeof identifierKindSchema>;

/** How every API addresses a customer: any of their identifiers. */
export const identifierSchema = z
  .object({
    kind: identifierKindSchema,
    value: z.string().trim().min(1).max(256),
  })
  .strict();

export type Identifier = z.infer<typeof identifierSchema>;
