import { findActivation } from '../../../../db/customers/activation';
import { DomainError } from '../../../../engine/errors';
import { db } from '../../../lib/db';
import { activate } from './actions';

export const dynamic = 'force-dynamic';

interface Props {
  params: Promise<{ token: string }>;
  searchParams: Promise<{ done?: string; error?: string; field?: string }>;
}

/** Deferred activation: the link the till's SMS carries; the customer finishes registration here. */
export default async function ActivationPage({ params, searchParams }: Props) {
  const { token } = await params;
  const query = await searchParams;
  if (query.done) {
    return (
      <section data-testid="activation-done">
        <h1>Welcome!</h1>
        <p>Your card is active. Your points are waiting for you.</p>
      </section>
    );
  }
  let maskedPhone: string | null;
  try {
    maskedPhone = (await findActivation(db(), token, new Date())).maskedPhone;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return (
      <section data-testid="activation-invalid">
        <h1>Link not valid</h1>
        <p>{error.message}</p>
      </section>
    );
  }
  const child = (i: number) => (
    <fieldset key={i}>
      <legend>Child {i + 1}</legend>
      <label>
        Name <input name={`child${i}.name`} />
      </label>
      <label>
        Birth date <input type="date" name={`child${i}.birth_date`} />
      </label>
      <label>
        Gender
        <select name={`child${i}.gender`} defaultValue="">
          <option value="">—</option>
          <option value="m">boy</option>
          <option value="f">girl</option>
        </select>
      </label>
    </fieldset>
  );
  return (
    <section>
      <h1>Finish your registration</h1>
      {maskedPhone ? <p>Phone {maskedPhone}</p> : null}
      {query.error ? (
        <p role="alert" data-testid="activation-error" data-field={query.field}>
          {query.error}
        </p>
      ) : null}
      <form action={activate.bind(null, token)} className="form">
        <label>
          First name <input name="firstName" required />
        </label>
        <label>
          Last name <input name="lastName" />
        </label>
        <label>
          Birth date <input type="date" name="birthDate" />
        </label>
        <label>
          Gender
          <select name="gender" defaultValue="">
            <option value="">—</option>
            <option value="female">female</option>
            <option value="male">male</option>
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" name="has_car" /> I have a car
        </label>
        {[0, 1, 2].map(child)}
        <button type="submit">Activate my card</button>
      </form>
    </section>
  );
}
