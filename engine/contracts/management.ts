import { z } from 'zod';

/** Partners, stores and store groups: the organisation a program's staff manage. */

export const codeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'lower-case letters, digits, "_", "." or "-"');
const name = z.string().trim().min(1).max(200);
const id = z.number().int().positive();

const zoneName = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** The canonical IANA name of a time zone (`Europe/Moscow`), or undefined when there is none. */
export function canonicalTimeZone(value: string): string | undefined {
  if (!zoneName.test(value) || value.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** An IANA time zone name; aliases become their canonical name (`US/Eastern` → `America/New_York`). */
export const timeZoneSchema = z
  .string()
  .describe('IANA time zone, e.g. Europe/Moscow')
  .transform((value, ctx) => {
    const zone = canonicalTimeZone(value);
    if (zone === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not an IANA time zone, e.g. Europe/Moscow' });
      return z.NEVER;
    }
    return zone;
  });

export const createPartnerSchema = z.object({ code: codeSchema, name }).strict();
export const updatePartnerSchema = z.object({ partnerId: id, name }).strict();
export const partnerSchema = z.object({ id, code: z.string(), name: z.string(), createdAt: z.string() });
export type Partner = z.infer<typeof partnerSchema>;

export const createStoreSchema = z
  .object({ partnerId: id, code: codeSchema, name, timeZone: timeZoneSchema })
  .strict();
export const updateStoreSchema = z
  .object({ storeId: id, name: name.optional(), timeZone: timeZoneSchema.optional() })
  .strict()
  .refine((s) => s.name !== undefined || s.timeZone !== undefined, {
    message: 'give name or timeZone',
    path: ['name'],
  });
export const storeSchema = z.object({
  id,
  partnerId: id,
  code: z.string(),
  name: z.string(),
  timeZone: z.string(),
  createdAt: z.string(),
});
export type Store = z.infer<typeof storeSchema>;

const storeIds = z.array(id).max(10_000);

export const createStoreGroupSchema = z
  .object({ code: codeSchema, name, storeIds: storeIds.default([]) })
  .strict();
export const storeGroupMembersSchema = z
  .object({ groupId: id, add: storeIds.default([]), remove: storeIds.default([]) })
  .strict()
  .refine((m) => m.add.length + m.remove.length > 0, { message: 'give add or remove', path: ['add'] });
export const storeGroupSchema = z.object({
  id,
  code: z.string(),
  name: z.string(),
  storeIds: z.array(id),
  createdAt: z.string(),
});
export type StoreGroup = z.infer<typeof storeGroupSchema>;
