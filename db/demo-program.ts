import { issueApiKey } from './api-keys';
import type { DB } from './database';
import { randomToken } from './secrets';
import { createStaffUser } from './staff-users';

export interface DemoCredentials {
  programId: number;
  adminLogin: string;
  adminPassword: string;
  tillApiKey: string;
}

export const demoProgramCode = 'demo';

/**
 * Seeds the demo program once: a partner with two stores, an admin and a till API key for the first
 * store. Returns the credentials when it seeded, undefined when the program already existed.
 */
export async function seedDemoProgram(db: DB): Promise<DemoCredentials | undefined> {
  return db.transaction().execute(async (trx) => {
    const program = await trx
      .insertInto('programs')
      .values({
        code: demoProgramCode,
        name: 'Demo Coffee & Market',
        currency: 'RUB',
        time_zone: 'Europe/Moscow',
      })
      .onConflict((oc) => oc.column('code').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!program) return undefined;
    const partner = await trx
      .insertInto('partners')
      .values({ program_id: program.id, code: 'demo-partner', name: 'Demo Partner LLC' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const stores = await trx
      .insertInto('stores')
      .values([
        { partner_id: partner.id, code: 'msk-01', name: 'Moscow, Tverskaya 1', time_zone: 'Europe/Moscow' },
        {
          partner_id: partner.id,
          code: 'ekb-01',
          name: 'Yekaterinburg, Lenina 5',
          time_zone: 'Asia/Yekaterinburg',
        },
      ])
      .returning('id')
      .execute();
    const adminPassword = randomToken(12);
    await createStaffUser(trx, {
      programId: program.id,
      login: 'admin',
      password: adminPassword,
      role: 'admin',
    });
    const till = await issueApiKey(trx, {
      programId: program.id,
      partnerId: partner.id,
      storeId: stores[0]!.id,
      label: 'Demo till, Moscow store',
      scopes: ['events:write'],
    });
    return { programId: program.id, adminLogin: 'admin', adminPassword, tillApiKey: till.token };
  });
}
