import { identifierKindSchema } from '../../../engine/contracts/identifier';
import { DomainError } from '../../../engine/errors';
import { customerCard } from '../../lib/customer-card';
import { contactCentreRoles, requireStaff } from '../../lib/session';

export const dynamic = 'force-dynamic';

interface Props {
  searchParams: Promise<{ kind?: string; value?: string }>;
}

/** The contact centre's first screen: find a customer by any identifier and see their state. */
export default async function CustomersPage({ searchParams }: Props) {
  const staff = await requireStaff('/customers', contactCentreRoles);
  const query = await searchParams;
  const kind = identifierKindSchema.safeParse(query.kind ?? 'phone');
  let found: Awaited<ReturnType<typeof customerCard>> | undefined;
  let problem: string | undefined;
  if (query.value && kind.success) {
    try {
      found = await customerCard(staff.programId, kind.data, query.value, new Date());
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      problem = error.message;
    }
  }
  return (
    <section>
      <h1>Find a customer</h1>
      <form method="get" className="search">
        <select name="kind" defaultValue={kind.success ? kind.data : 'phone'}>
          {identifierKindSchema.options.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <input
          name="value"
          defaultValue={query.value ?? ''}
          placeholder="phone, card number, e-mail…"
          required
        />
        <button type="submit">Find</button>
      </form>
      {problem ? <p role="alert">{problem}</p> : null}
      {found ? (
        <div data-testid="customer-card">
          <h2>
            Customer #{found.customerId} · {found.status}
          </h2>
          <p>
            {[found.profile.firstName, found.profile.lastName].filter(Boolean).join(' ') || 'no name'} ·
            registered {found.registeredAt.slice(0, 10)} · referral code {found.referralCode}
          </p>
          <div className="panel">
            <section className="component" data-testid="balance">
              <h3>Points ({found.currency})</h3>
              <p>
                available <strong>{found.points.available}</strong> · pending {found.points.pending} · debt{' '}
                {found.points.debt}
              </p>
              <p>cash {(found.cash / 100).toFixed(2)}</p>
            </section>
            <section className="component">
              <h3>Contacts</h3>
              <ul>
                {found.contacts.map((c) => (
                  <li key={`${c.kind}${c.shown}`}>
                    {c.shown} {c.verified ? '✓ verified' : '(unverified)'}
                  </li>
                ))}
              </ul>
            </section>
            <section className="component">
              <h3>Cards</h3>
              <ul>
                {found.cards.map((c) => (
                  <li key={c.number}>
                    {c.number} · {c.status}
                    {c.status_reason ? ` (${c.status_reason})` : ''}
                    {c.virtual ? ' · virtual' : ''}
                  </li>
                ))}
              </ul>
            </section>
          </div>
          <h3>Latest operations</h3>
          <table data-testid="history">
            <tbody>
              {found.history.map((h) => (
                <tr key={h.lineId}>
                  <td>{h.occurredAt.slice(0, 16).replace('T', ' ')}</td>
                  <td>{h.kind}</td>
                  <td>
                    {h.amount} {h.currency}
                  </td>
                  <td>{h.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Changes</h3>
          <ul>
            {found.audit.map((a) => (
              <li key={a.id}>
                {a.occurredAt.slice(0, 10)} {a.action} by {a.actor}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
