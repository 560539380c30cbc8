import { sinkMessages } from '../../../db/messaging/sink';
import { db } from '../../lib/db';
import { contactCentreRoles, requireStaff } from '../../lib/session';

export const dynamic = 'force-dynamic';

interface Props {
  searchParams: Promise<{ to?: string }>;
}

/**
 * What the local SMS sink and mail catcher of `npm start` received: one-time codes, activation links,
 * campaigns, exactly as a phone or a mailbox would get them. Programs with providers of their own
 * send to real gateways and nothing arrives here.
 */
export default async function SentMessagesPage({ searchParams }: Props) {
  await requireStaff('/messages', contactCentreRoles);
  const { to } = await searchParams;
  const destination = to?.trim() || undefined;
  const messages = await sinkMessages(db(), { limit: 100, destination });
  return (
    <section>
      <h1>Sent messages</h1>
      <p>
        SMS and e-mail delivered to the local SMS sink and mail catcher (programs without a gateway of their
        own). Newest first; <a href="/messages">refresh</a>.
      </p>
      <form method="get" className="search">
        <input name="to" defaultValue={destination ?? ''} placeholder="+79161234567 or anna@example.com" />
        <button type="submit">Filter</button>
      </form>
      {messages.length === 0 ? (
        <p data-testid="no-messages">Nothing has arrived yet.</p>
      ) : (
        <table data-testid="sent-messages">
          <thead>
            <tr>
              <th>Received</th>
              <th>Channel</th>
              <th>To</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((message) => (
              <tr key={message.id} data-testid="sent-message">
                <td>{message.receivedAt.replace('T', ' ').slice(0, 19)}</td>
                <td>{message.channel === 'sms' ? 'SMS' : 'e-mail'}</td>
                <td>{message.destination}</td>
                <td>
                  {message.subject ? <strong>{message.subject}</strong> : null}
                  <pre className="message-text">{message.text}</pre>
                  {message.html ? (
                    <details>
                      <summary>HTML</summary>
                      <iframe title={`message ${message.id}`} sandbox="" srcDoc={message.html} />
                    </details>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
