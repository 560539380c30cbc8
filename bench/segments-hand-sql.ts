import { sql, type RawBuilder } from 'kysely';

/**
 * The segments bench's definitions, each beside the hand-written SQL for the same question on the
 * same schema: several shapes per question (per-customer correlated probes, one lateral pass,
 * aggregate-first over the window, JSON path), so the bench can name the fastest. The hand SQL is
 * written from the definition's meaning, not from the compiler's output: its own date arithmetic,
 * its own reading of the questionnaire. It relies on what the bench's data guarantees (every birth
 * date is YYYY-MM-DD, every customer has a tier, `children` is an array when present), as a DBA
 * writing for this database would.
 */
export interface HandShape {
  label: string;
  query: RawBuilder<{ count: number }>;
}

export interface SegmentCase {
  code: string;
  name: string;
  /** The condition, as a marketer's client would send it (the schema fills defaults). */
  condition: unknown;
  hand: HandShape[];
}

export interface HandContext {
  programId: number;
  now: Date;
  /** The program's local date at `now` (YYYY-MM-DD). */
  today: string;
  /** Ids of the stores in the `moscow` store group. */
  moscowStores: number[];
}

const DAY = 86_400_000;

function ago(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY);
}

/** The date `years` years before `today`, as YYYY-MM-DD (a 29 February `today` is not met here). */
function yearsBefore(today: string, years: number): string {
  return `${String(Number(today.slice(0, 4)) - years).padStart(4, '0')}${today.slice(4)}`;
}

/** MM-DD of today and the next `days` days (no 29 February within the bench's week). */
function monthDays(today: string, days: number): string[] {
  const start = new Date(`${today}T00:00:00Z`).getTime();
  return Array.from({ length: days + 1 }, (_, i) => new Date(start + i * DAY).toISOString().slice(5, 10));
}

export function segmentCases(ctx: HandContext): SegmentCase[] {
  const { programId, now, today } = ctx;
  const eligible = sql`c.program_id = ${programId} and c.status in ('active', 'pending')`;
  const count = (from: RawBuilder<unknown>) =>
    sql<{ count: number }>`select count(*)::bigint as count ${from}`;
  const net = sql`p.qualifying_amount - least(p.returned_amount, p.qualifying_amount)`;
  const window = (days: number) =>
    sql`p.occurred_at >= ${ago(now, days)} and p.occurred_at <= ${now} and p.status = 'confirmed'`;
  const children = sql`(c.questionnaire -> 'children')`;

  // Women 25–40, gold or platinum, ≥ 3 purchases in 90 days, ≥ 10 000.00 in 12 months, a child under 12.
  const issueCustomer = sql`${eligible} and c.profile ->> 'gender' = 'female'
    and c.profile ->> 'birthDate' <= ${yearsBefore(today, 25)} and c.profile ->> 'birthDate' > ${yearsBefore(today, 41)}
    and c.tier in ('gold', 'platinum')`;
  const childUnder12 = sql`exists (select 1 from jsonb_array_elements(coalesce(${children}, '[]')) k
    where k ->> 'birth_date' > ${yearsBefore(today, 12)})`;
  const issue: SegmentCase = {
    code: 'issue-13',
    name: 'women 25–40, gold/platinum, ≥3 buys 90 d, ≥10 000.00 12 mo, child <12',
    condition: {
      type: 'all',
      conditions: [
        { type: 'profile', field: 'gender', in: ['female'] },
        { type: 'age', years: { min: 25, max: 40 } },
        { type: 'tier', tiers: ['gold', 'platinum'] },
        { type: 'purchases', windowDays: 90, metric: 'count', range: { min: 3 } },
        { type: 'purchases', windowDays: 365, metric: 'amount', range: { min: 1_000_000 } },
        {
          type: 'questionnaireGroup',
          group: 'children',
          quantifier: 'atLeastOne',
          where: [{ field: 'birth_date', age: { max: 11 } }],
        },
      ],
    },
    hand: [
      {
        label: 'correlated EXISTS (3rd row) + scalar sum',
        query: count(sql`from customers c where ${issueCustomer} and ${childUnder12}
          and exists (select 1 from purchases p where p.customer_id = c.id and ${window(90)} offset 2 limit 1)
          and (select sum(${net}) from purchases p where p.customer_id = c.id and ${window(365)}) >= 1000000`),
      },
      {
        label: 'one lateral pass over 12 months',
        query: count(sql`from customers c cross join lateral (
            select count(*) filter (where p.occurred_at >= ${ago(now, 90)}) as recent, sum(${net}) as spent
            from purchases p where p.customer_id = c.id and ${window(365)}) x
          where ${issueCustomer} and ${childUnder12} and x.recent >= 3 and x.spent >= 1000000`),
      },
      {
        label: 'jsonpath child + correlated',
        query: count(sql`from customers c where ${issueCustomer}
          and jsonb_path_exists(c.questionnaire, '$.children[*] ? (@.birth_date > $d)',
            jsonb_build_object('d', ${yearsBefore(today, 12)}::text))
          and exists (select 1 from purchases p where p.customer_id = c.id and ${window(90)} offset 2 limit 1)
          and (select sum(${net}) from purchases p where p.customer_id = c.id and ${window(365)}) >= 1000000`),
      },
      {
        label: 'aggregate-first (12-month group by)',
        query: count(sql`from customers c join (
            select p.customer_id from purchases p where ${window(365)} group by p.customer_id
            having count(*) filter (where p.occurred_at >= ${ago(now, 90)}) >= 3 and sum(${net}) >= 1000000) x
          on x.customer_id = c.id where ${issueCustomer} and ${childUnder12}`),
      },
    ],
  };

  // Bought before, but not in the last 180 days.
  const lapsed: SegmentCase = {
    code: 'lapsed-180',
    name: 'lapsed: bought, but not in 180 days',
    condition: { type: 'lastPurchase', daysAgo: { min: 180 } },
    hand: [
      {
        label: 'correlated max(occurred_at)',
        query: count(sql`from customers c where ${eligible}
          and (select max(p.occurred_at) from purchases p where p.customer_id = c.id and p.status = 'confirmed'
            and p.occurred_at <= ${now}) <= ${ago(now, 180)}`),
      },
      {
        label: 'aggregate-first max per customer',
        query: count(sql`from customers c join (
            select p.customer_id, max(p.occurred_at) as last from purchases p
            where p.status = 'confirmed' and p.occurred_at <= ${now} group by p.customer_id) x
          on x.customer_id = c.id where ${eligible} and x.last <= ${ago(now, 180)}`),
      },
      {
        label: 'EXISTS ever AND NOT EXISTS recent',
        query: count(sql`from customers c where ${eligible}
          and exists (select 1 from purchases p where p.customer_id = c.id and p.status = 'confirmed' and p.occurred_at <= ${now})
          and not exists (select 1 from purchases p where p.customer_id = c.id and p.status = 'confirmed'
            and p.occurred_at > ${ago(now, 180)} and p.occurred_at <= ${now})`),
      },
    ],
  };

  // Spent ≥ 5 000.00 in the last 30 days.
  const bigSpenders: SegmentCase = {
    code: 'big-spenders-30d',
    name: 'spent ≥ 5 000.00 in 30 days',
    condition: { type: 'purchases', windowDays: 30, metric: 'amount', range: { min: 500_000 } },
    hand: [
      {
        label: 'correlated sum',
        query: count(sql`from customers c where ${eligible}
          and (select sum(${net}) from purchases p where p.customer_id = c.id and ${window(30)}) >= 500000`),
      },
      {
        label: 'aggregate-first over the window',
        query: count(sql`from customers c join (
            select p.customer_id from purchases p where ${window(30)} group by p.customer_id
            having sum(${net}) >= 500000) x on x.customer_id = c.id where ${eligible}`),
      },
      {
        label: 'semi-join IN (window aggregate)',
        query: count(sql`from customers c where ${eligible} and c.id in (
            select p.customer_id from purchases p where ${window(30)} group by p.customer_id
            having sum(${net}) >= 500000)`),
      },
    ],
  };

  // A birthday within 7 days, and a purchase within a year.
  const birthdays = monthDays(today, 7);
  const birthday: SegmentCase = {
    code: 'birthday-week-buyers',
    name: 'birthday within 7 days AND bought in 365 days',
    condition: {
      type: 'all',
      conditions: [
        { type: 'birthday', withinDays: 7 },
        { type: 'purchases', windowDays: 365, metric: 'count', range: { min: 1 } },
      ],
    },
    hand: [
      {
        label: 'month-day list + EXISTS',
        query: count(sql`from customers c where ${eligible}
          and substr(c.profile ->> 'birthDate', 6, 5) in (${sql.join(birthdays)})
          and exists (select 1 from purchases p where p.customer_id = c.id and ${window(365)})`),
      },
      {
        label: 'to_char(date) + EXISTS',
        query: count(sql`from customers c where ${eligible}
          and to_char((c.profile ->> 'birthDate')::date, 'MM-DD') = any(${birthdays}::text[])
          and exists (select 1 from purchases p where p.customer_id = c.id and ${window(365)})`),
      },
    ],
  };

  // Three children or more.
  const parents: SegmentCase = {
    code: 'parents-3plus',
    name: 'three or more children (count)',
    condition: { type: 'questionnaireGroup', group: 'children', quantifier: 'count', count: { min: 3 } },
    hand: [
      {
        label: 'jsonb_array_length',
        query: count(sql`from customers c where ${eligible}
          and jsonb_typeof(${children}) = 'array' and jsonb_array_length(${children}) >= 3`),
      },
      {
        label: 'third element present',
        query: count(sql`from customers c where ${eligible} and (${children} -> 2) is not null`),
      },
      {
        label: 'count(jsonb_array_elements)',
        query: count(sql`from customers c where ${eligible}
          and (select count(*) from jsonb_array_elements(coalesce(${children}, '[]'))) >= 3`),
      },
    ],
  };

  // A stable random tenth (a holdout), not gold.
  const bucketSql = sql`(('x' || substr(md5('bench:' || c.id::text), 1, 8))::bit(32)::bigint % 100)`;
  const bucket: SegmentCase = {
    code: 'bucket-not-gold',
    name: 'bucket 0–9 AND NOT gold',
    condition: {
      type: 'all',
      conditions: [
        { type: 'bucket', from: 0, to: 9, salt: 'bench' },
        { type: 'not', condition: { type: 'tier', tiers: ['gold'] } },
      ],
    },
    hand: [
      {
        label: 'md5 bucket, tier <> gold',
        query: count(sql`from customers c where ${eligible} and c.tier <> 'gold' and ${bucketSql} < 10`),
      },
    ],
  };

  // Men who registered within a year, or customers above bronze who have not bought within a year.
  const notOr: SegmentCase = {
    code: 'not-or-mix',
    name: '(male AND registered ≤365 d) OR NOT (bronze OR bought ≤365 d)',
    condition: {
      type: 'any',
      conditions: [
        {
          type: 'all',
          conditions: [
            { type: 'profile', field: 'gender', in: ['male'] },
            { type: 'registered', daysAgo: { max: 365 } },
          ],
        },
        {
          type: 'not',
          condition: {
            type: 'any',
            conditions: [
              { type: 'tier', tiers: ['bronze'] },
              { type: 'lastPurchase', daysAgo: { max: 365 } },
            ],
          },
        },
      ],
    },
    hand: [
      {
        label: 'OR with NOT EXISTS',
        query: count(sql`from customers c where ${eligible} and (
          (c.profile ->> 'gender' = 'male' and c.registered_at > ${ago(now, 366)})
          or (c.tier <> 'bronze' and not exists (select 1 from purchases p where p.customer_id = c.id
            and p.status = 'confirmed' and p.occurred_at > ${ago(now, 366)} and p.occurred_at <= ${now})))`),
      },
      {
        label: 'OR with NOT IN (hashed window)',
        query: count(sql`from customers c where ${eligible} and (
          (c.profile ->> 'gender' = 'male' and c.registered_at > ${ago(now, 366)})
          or (c.tier <> 'bronze' and c.id not in (select p.customer_id from purchases p
            where p.customer_id is not null and p.status = 'confirmed' and p.occurred_at > ${ago(now, 366)}
            and p.occurred_at <= ${now})))`),
      },
    ],
  };

  // At least two purchases with a baby line in 180 days.
  const lineWindow = sql`l.occurred_at >= ${ago(now, 180)} and l.occurred_at <= ${now} and not l.excluded
    and l.returned_quantity < l.quantity and l.category && array['baby']`;
  const baby: SegmentCase = {
    code: 'baby-category-180d',
    name: '≥ 2 purchases with a baby line in 180 days',
    condition: {
      type: 'purchases',
      windowDays: 180,
      metric: 'count',
      range: { min: 2 },
      filter: { categories: ['baby'] },
    },
    hand: [
      {
        label: 'aggregate-first over lines',
        query: count(sql`from customers c join (
            select l.customer_id from purchase_lines l join purchases p on p.id = l.purchase_id and p.status = 'confirmed'
            where ${lineWindow} group by l.customer_id having count(distinct l.purchase_id) >= 2) x
          on x.customer_id = c.id where ${eligible}`),
      },
      {
        label: 'correlated count over lines',
        query: count(sql`from customers c where ${eligible}
          and (select count(distinct l.purchase_id) from purchase_lines l where l.customer_id = c.id and ${lineWindow}
            and exists (select 1 from purchases p where p.id = l.purchase_id and p.status = 'confirmed')) >= 2`),
      },
    ],
  };

  // Ten purchases or more in the Moscow store group within a year.
  const moscow: SegmentCase = {
    code: 'moscow-frequent',
    name: '≥ 10 purchases in 365 days in store group moscow',
    condition: {
      type: 'purchases',
      windowDays: 365,
      metric: 'count',
      range: { min: 10 },
      filter: { storeGroups: ['moscow'] },
    },
    hand: [
      {
        label: 'correlated 10th row',
        query: count(sql`from customers c where ${eligible}
          and exists (select 1 from purchases p where p.customer_id = c.id and ${window(365)}
            and p.store_id = any(${ctx.moscowStores}::bigint[]) offset 9 limit 1)`),
      },
      {
        label: 'aggregate-first over the window',
        query: count(sql`from customers c join (
            select p.customer_id from purchases p where ${window(365)} and p.store_id = any(${ctx.moscowStores}::bigint[])
            group by p.customer_id having count(*) >= 10) x on x.customer_id = c.id where ${eligible}`),
      },
    ],
  };

  // A son aged 13–17.
  const teenSon: SegmentCase = {
    code: 'teen-son',
    name: 'a son aged 13–17 (group atLeastOne, two tests)',
    condition: {
      type: 'questionnaireGroup',
      group: 'children',
      quantifier: 'atLeastOne',
      where: [
        { field: 'gender', in: ['m'] },
        { field: 'birth_date', age: { min: 13, max: 17 } },
      ],
    },
    hand: [
      {
        label: 'EXISTS over jsonb_array_elements',
        query: count(sql`from customers c where ${eligible}
          and exists (select 1 from jsonb_array_elements(coalesce(${children}, '[]')) k where k ->> 'gender' = 'm'
            and k ->> 'birth_date' <= ${yearsBefore(today, 13)} and k ->> 'birth_date' > ${yearsBefore(today, 18)})`),
      },
      {
        label: 'jsonb_path_exists',
        query: count(sql`from customers c where ${eligible}
          and jsonb_path_exists(c.questionnaire, '$.children[*] ? (@.gender == "m" && @.birth_date <= $to && @.birth_date > $from)',
            jsonb_build_object('to', ${yearsBefore(today, 13)}::text, 'from', ${yearsBefore(today, 18)}::text))`),
      },
    ],
  };

  return [issue, lapsed, bigSpenders, birthday, parents, bucket, notOr, baby, moscow, teenSon];
}
