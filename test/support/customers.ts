import type { DB } from '../../db/database';

/** A bare active customer with an external id `ext-<n>`, for ledger tests that need no registration rules. */
export async function insertCustomer(db: DB, programId: number, externalId: string): Promise<number> {
  const { id } = await db
    .insertInto('customers')
    .values({
      program_id: programId,
      referral_code: `R${externalId.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}`,
      registration_channel: 'import',
      registered_at: new Date('2026-01-01T00:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('identifiers')
    .values({ program_id: programId, kind: 'external', value: externalId, customer_id: id })
    .execute();
  return id;
}
