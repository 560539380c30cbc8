import { DomainError } from '../errors';

/** RFC 5321: a forward-path holds at most 256 octets including the angle brackets, so 254 for the address. */
export const EMAIL_MAX_LENGTH = 254;
const LOCAL_MAX_LENGTH = 64;

// The local part is an ASCII dot-atom (RFC 5322 without quoted strings and comments): quoted local parts
// are legal but in practice only ever typed by mistake, and SMTPUTF8 local parts are not delivered by
// many relays. Domain labels may hold letters of any script (".рф" domains are common in our market).
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const TOP_LEVEL_LABEL = /^(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/u;

const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

function invalid(message: string, field: string | undefined): DomainError {
  return new DomainError('invalid_email', message, 422, field);
}

/**
 * The stored form of an e-mail address: trimmed and lower-cased as a whole, domain and local part alike.
 * RFC 5321 lets a server treat the local part case-sensitively, but no mailbox provider we deliver to
 * does, while customers type "Ivan@" and "ivan@" for the same mailbox; folding case keeps one customer
 * from becoming two. Validation is syntactic only: it says nothing about whether the mailbox exists.
 */
export function normalizeEmail(input: string, field?: string): string {
  if (typeof input !== 'string') throw invalid('the e-mail address must be a string', field);
  const email = input.trim().toLowerCase();
  if (email === '') throw invalid('the e-mail address is empty', field);
  if (email.length > EMAIL_MAX_LENGTH) {
    throw invalid(`the e-mail address is longer than ${EMAIL_MAX_LENGTH} characters`, field);
  }
  const at = email.lastIndexOf('@');
  if (at < 0) throw invalid('the e-mail address has no "@"', field);
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local === '' || local.length > LOCAL_MAX_LENGTH || !LOCAL_PART.test(local)) {
    throw invalid(`"${input.trim()}" is not a valid e-mail address (the part before "@")`, field);
  }
  const labels = domain.split('.');
  const topLevel = labels[labels.length - 1] ?? '';
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l)) || !TOP_LEVEL_LABEL.test(topLevel)) {
    throw invalid(`"${input.trim()}" is not a valid e-mail address (the domain)`, field);
  }
  return email;
}

/**
 * A key under which two addresses that reach the same mailbox meet, for finding duplicate candidates
 * only: it must never replace the address itself. Gmail ignores dots in the local part and everything
 * from "+", and googlemail.com is the same service; other providers differ (some treat "+" or "-" as
 * literal), so nothing else is folded.
 */
export function emailDuplicateKey(email: string): string {
  const normalized = normalizeEmail(email);
  const at = normalized.lastIndexOf('@');
  const domain = normalized.slice(at + 1);
  if (!GMAIL_DOMAINS.has(domain)) return normalized;
  const local = normalized.slice(0, at).split('+')[0]!.replaceAll('.', '');
  // "+tag@gmail.com" has nothing left: keep the address as is rather than a key every such address shares.
  return local === '' ? normalized : `${local}@gmail.com`;
}
