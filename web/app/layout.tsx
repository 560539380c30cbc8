import type { ReactNode } from 'react';
import './globals.css';

export const metadata = { title: 'Loyalflow', description: 'Loyalty and marketing automation' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <strong>Loyalflow</strong>
          <nav>
            <a href="/">Status</a>
            <a href="/customers">Customers</a>
            <a href="/messages">Sent messages</a>
            <a href="/api/auth/signin">Sign in</a>
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
