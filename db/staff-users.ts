import type { Kysely } from 'kysely';
import type { DB } from './database';
import type { Database, StaffUserTable } from './schema';
import { hashPassword, verifyPassword } from './secrets';

export interface StaffUser {
  id: number;
  programId: number;
  login: string;
  role: StaffUserTable['role'];
}

export async function createStaffUser(
  db: Kysely<Database>,
  user: { programId: number; login: string; password: string; role: StaffUserTable['role'] },
): Promise<number> {
  const row = await db
    .insertInto('staff_users')
    .values({
      program_id: user.programId,
      login: user.login,
      password_hash: hashPassword(user.password),
      role: user.role,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The staff user for a login and password, or undefined; the same answer time for unknown logins. */
export async function verifyStaffLogin(
  db: DB,
  login: string,
  password: string,
): Promise<StaffUser | undefined> {
  const row = await db
    .selectFrom('staff_users')
    .select(['id', 'program_id', 'login', 'role', 'password_hash'])
    .where('login', '=', login)
    .executeTakeFirst();
  const ok = verifyPassword(password, row?.password_hash ?? hashPassword('timing-equaliser'));
  if (!row || !ok) return undefined;
  return { id: row.id, programId: row.program_id, login: row.login, role: row.role };
}
