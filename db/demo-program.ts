import { issueApiKey } from './api-keys';
import type { DB } from './database';
import { randomToken } from './secrets';
import { createStaffUser } from './staff-users';

export interface DemoCredentials {
  programId: number;
  adminLogin: string;
  adminPassword: string;
  tillApiKey: string;
  /** A back-office key that may also adjust balances manually. */
  backOfficeApiKey: string;
  adminStaffId: number;
}

export const tillScopes = [
  'events:write',
  'customers:write',
  'customers:read',
  'operations:write',
  'cards:bind',
  'purchases:write',
  'coupons:read',
  'giftcards:read',
  'giftcards:write',
];

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
    await trx
      .insertInto('currencies')
      .values([
        { program_id: program.id, code: 'bonus', name: 'Bonus points', kind: 'points' },
        { program_id: program.id, code: 'RUB', name: 'Russian rouble', kind: 'money' },
      ])
      .execute();
    const adminPassword = randomToken(12);
    const adminStaffId = await createStaffUser(trx, {
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
      scopes: tillScopes,
    });
    // The program's own back office: not bound to a partner, so it manages every partner's keys.
    const backOffice = await issueApiKey(trx, {
      programId: program.id,
      label: 'Demo back office',
      scopes: [
        ...tillScopes,
        'operations:adjust',
        'cards:write',
        'cards:manage',
        'customers:merge',
        'program:manage',
        'catalogue:read',
        'catalogue:write',
        'promotions:manage',
        'segments:read',
        'segments:manage',
        'messages:read',
        'messages:manage',
        'consents:write',
        'coupons:manage',
        'giftcards:manage',
        'keys:manage',
      ],
    });
    return {
      programId: program.id,
      adminLogin: 'admin',
      adminPassword,
      adminStaffId,
      tillApiKey: till.token,
      backOfficeApiKey: backOffice.token,
    };
  });
}
