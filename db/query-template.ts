import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from './schema';

/** Where a template's value goes: it stands in for the value while the query is built. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A query built and compiled once and then run with other values. Kysely builds and compiles a query
 * afresh on every call, which for the till path's widest queries cost more of the API's time than
 * sending them (a lateral join and four subqueries: about 0.2 ms a call). `build` gets placeholders
 * for its values and must pass each on as one value only: never branch on it, spread it or hand it
 * to `in` (an array is one parameter: use `= any(...)`).
 */
export function queryTemplate<V extends object, R>(
  build: (db: Kysely<Database>, values: V) => Compilable<R>,
): (db: Kysely<Database>, values: V) => CompiledQuery<R> {
  let compiled: CompiledQuery<R> | undefined;
  return (db, values) => {
    if (!compiled) {
      const slots = new Proxy({} as V, { get: (_target, name) => new Slot(String(name)) });
      compiled = build(db, slots).compile();
    }
    const parameters = compiled.parameters.map((p) => (p instanceof Slot ? values[p.name as keyof V] : p));
    return CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<R>;
  };
}
