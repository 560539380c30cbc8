import { DomainError } from '../../engine/errors';

/** Nesting a request may have: the deepest contract (questionnaire groups, rule trees) needs far less. */
export const maxDepth = 32;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why PostgreSQL could not store the string as text or JSON: a NUL byte (`invalid byte sequence for
 * encoding "UTF8": 0x00`) or half of a surrogate pair (`invalid input syntax for type json`).
 */
export function unstorableIn(value: string): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character (\\u0000)';
  if (loneSurrogate.test(value)) return 'contains half of a UTF-16 surrogate pair';
  return null;
}

/**
 * Refuses, naming the member, what no contract may receive: keys and strings PostgreSQL cannot store,
 * integers past 2^53 that JSON parsing already rounded, a `__proto__` key, nesting past {@link maxDepth}.
 */
export function inspectValue(value: unknown, path: string, depth = 0): void {
  if (typeof value === 'string') {
    const why = unstorableIn(value);
    if (why) throw new DomainError('invalid_string', `${path} ${why}`, 400, path);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && !Number.isSafeInteger(value))
      throw new DomainError('inexact_number', `${path} is past 2^53 and cannot be exact`, 400, path);
  } else if (typeof value === 'object' && value !== null) {
    if (depth >= maxDepth)
      throw new DomainError('too_deep', `JSON nested deeper than ${maxDepth} levels`, 400, path);
    if (Array.isArray(value)) {
      value.forEach((item, i) => inspectValue(item, `${path}.${i}`, depth + 1));
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      const member = `${path}.${key}`;
      const why = key === '__proto__' ? 'is not a key a contract has' : unstorableIn(key);
      if (why) throw new DomainError('invalid_key', `the key ${member} ${why}`, 400, member);
      inspectValue(item, member, depth + 1);
    }
  }
}
