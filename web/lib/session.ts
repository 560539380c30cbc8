import 'server-only';
import { getServerSession, type Session } from 'next-auth';
import { redirect } from 'next/navigation';
import type { StaffRole } from '../../engine/contracts/api-keys';
import { authOptions } from './auth';

export interface StaffSession {
  login: string;
  role: StaffRole;
  programId: number;
}

/** The contact-centre pages (customer lookup): its agents and the administrators. */
export const contactCentreRoles: readonly StaffRole[] = ['admin', 'agent'];

/**
 * The signed-in staff member when their role is one of `roles`; else a redirect: to the sign-in page
 * when nobody is signed in, to the status page saying the page is not theirs when the role does not fit.
 */
export async function requireStaff(callbackPath: string, roles: readonly StaffRole[]): Promise<StaffSession> {
  const session = (await getServerSession(authOptions)) as
    (Session & { role?: StaffRole; programId?: number }) | null;
  if (!session?.user?.name || !session.programId || !session.role) {
    redirect(`/api/auth/signin?callbackUrl=${encodeURIComponent(callbackPath)}`);
  }
  if (!roles.includes(session.role)) redirect(`/?denied=${encodeURIComponent(callbackPath)}`);
  return { login: session.user.name, role: session.role, programId: session.programId };
}
