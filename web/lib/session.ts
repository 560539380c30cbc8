import 'server-only';
import { getServerSession, type Session } from 'next-auth';
import { redirect } from 'next/navigation';
import { authOptions } from './auth';

export interface StaffSession {
  login: string;
  role: string;
  programId: number;
}

/** The signed-in staff member, or a redirect to the sign-in page. */
export async function requireStaff(callbackPath: string): Promise<StaffSession> {
  const session = (await getServerSession(authOptions)) as
    (Session & { role?: string; programId?: number }) | null;
  if (!session?.user?.name || !session.programId || !session.role) {
    redirect(`/api/auth/signin?callbackUrl=${encodeURIComponent(callbackPath)}`);
  }
  return { login: session.user.name, role: session.role, programId: session.programId };
}
