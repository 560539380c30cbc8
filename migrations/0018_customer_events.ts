import { sql, type Kysely } from 'kysely';

/**
 * Customer events name a resolved customer instead of a free-form key:
 * - `customer_events.customer_id` (null while the visitor is anonymous) and `anonymous_id` (the web
 *   shop's visitor id, or `<kind>:<value>` of an identifier that named nobody when the program stores
 *   unknown customers as anonymous). `customer_key` stays: it is the key of the stream the event was
 *   delivered on (`<customerId>` or `anon:<anonymousId>`; the free-form key of rows written before).
 *   `event_type_version` is the version of the registered type whose schema the properties passed.
 * - `customer_event_types`: a program's registered event types with the JSON Schema of their
 *   properties (`attributes`), versioned, archived rather than deleted.
 * - `customer_event_identities`: an anonymous id that identified as a customer; it resolves to that
 *   customer from then on.
 * Existing rows get the customer whose `external` identifier equals their key, when exactly one does;
 * the rest stay anonymous-less and customer-less (they keep their key and stream).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table customer_events
    add column customer_id bigint references customers (id),
    add column anonymous_id text,
    add column event_type_version integer`.execute(db);
  await sql`update customer_events e set customer_id = m.customer_id
    from (
      select program_id, value, min(customer_id) as customer_id from identifiers
      where kind = 'external' group by program_id, value having count(distinct customer_id) = 1
    ) m
    where m.program_id = e.program_id and m.value = e.customer_key`.execute(db);
  await sql`create index customer_events_by_customer on customer_events (customer_id, type, occurred_at)
    where customer_id is not null`.execute(db);
  await sql`create index customer_events_by_anonymous on customer_events (program_id, anonymous_id, occurred_at)
    where anonymous_id is not null`.execute(db);

  await sql`create table customer_event_types (
    id bigint generated always as identity primary key,
    program_id bigint not null references programs (id),
    type text not null,
    description text,
    properties_schema jsonb not null,
    version integer not null default 1,
    status text not null default 'active' check (status in ('active', 'archived')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    updated_by text not null,
    unique (program_id, type)
  )`.execute(db);

  await sql`create table customer_event_identities (
    program_id bigint not null references programs (id),
    anonymous_id text not null,
    customer_id bigint not null references customers (id),
    identified_at timestamptz not null default now(),
    primary key (program_id, anonymous_id)
  )`.execute(db);
  await sql`create index customer_event_identities_customer on customer_event_identities (customer_id)`.execute(
    db,
  );
}
