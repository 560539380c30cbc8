import 'server-only';
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { verifyStaffLogin } from '../../db/staff-users';
import { db } from './db';

/** Staff sign in with login and password; the session carries their program and role. */
export const authOptions: NextAuthOptions = {
  session: { strategy: 'jwt', maxAge: 8 * 3600 },
  providers: [
    CredentialsProvider({
      name: 'Staff login',
      credentials: {
        login: { label: 'Login', type: 'text' },
        password: { label: 'Password', type: 'password' },
      },
      async authorize(credentials) {
        if (!credentials?.login || !credentials.password) return null;
        const user = await verifyStaffLogin(db(), credentials.login, credentials.password);
        if (!user) return null;
        return { id: String(user.id), name: user.login, role: user.role, programId: user.programId };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        const staff = user as typeof user & { role: string; programId: number };
        token.role = staff.role;
        token.programId = staff.programId;
      }
      return token;
    },
    session({ session, token }) {
      return { ...session, role: token.role, programId: token.programId };
    },
  },
};
