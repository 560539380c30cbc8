import { emailDuplicateKey } from './email';
import { defaultPhoneFormats, normalizePhone, type PhoneFormat } from './phone';
import { isCalendarDate } from './questionnaire';

export interface DuplicateProfile {
  phones?: string[];
  emails?: string[];
  firstName?: string;
  lastName?: string;
  birthDate?: string;
}

export interface DuplicateKeyOptions {
  /** Used for phones not yet in E.164 form. */
  phoneFormats?: readonly PhoneFormat[];
  defaultCountry?: string;
}

/**
 * A name as it is compared for duplicates: Unicode-composed, trimmed, lower-cased, "ё" read as "е" (the
 * two are used interchangeably in Russian writing) and runs of spaces collapsed. Latin look-alikes in a
 * Cyrillic name are not folded and names are not transliterated: "Ivanov" and "Иванов" stay different.
 */
export function normalizeName(name: string): string {
  return name.normalize('NFC').toLowerCase().replaceAll('ё', 'е').replace(/\s+/gu, ' ').trim();
}

const E164 = /^\+[1-9]\d{6,14}$/;

function phoneKey(phone: string, o: DuplicateKeyOptions): string | undefined {
  if (E164.test(phone)) return phone;
  try {
    return normalizePhone(phone, o.phoneFormats ?? defaultPhoneFormats, o.defaultCountry ?? 'RU');
  } catch {
    return undefined;
  }
}

function emailKey(email: string): string | undefined {
  try {
    return emailDuplicateKey(email);
  } catch {
    return undefined;
  }
}

/**
 * Keys under which customers are duplicate candidates: two customers sharing any key may be one
 * person. Phones and e-mails that cannot be read give no key rather than an error, because stored data
 * from old imports must not stop the search; a name-and-birth-date key needs all three parts.
 */
export function duplicateKeys(profile: DuplicateProfile, options: DuplicateKeyOptions = {}): string[] {
  const keys = new Set<string>();
  for (const phone of profile.phones ?? []) {
    const key = phoneKey(phone, options);
    if (key) keys.add(`phone:${key}`);
  }
  for (const email of profile.emails ?? []) {
    const key = emailKey(email);
    if (key) keys.add(`email:${key}`);
  }
  // "|" separates the parts, so it must not appear inside a name.
  const last = normalizeName((profile.lastName ?? '').replaceAll('|', ' '));
  const first = normalizeName((profile.firstName ?? '').replaceAll('|', ' '));
  if (last && first && isCalendarDate(profile.birthDate))
    keys.add(`name-dob:${last}|${first}|${profile.birthDate}`);
  return [...keys];
}

/** Whether two profiles share a duplicate key. */
export function areDuplicateCandidates(
  a: DuplicateProfile,
  b: DuplicateProfile,
  options: DuplicateKeyOptions = {},
): boolean {
  const keys = new Set(duplicateKeys(a, options));
  return duplicateKeys(b, options).some((k) => keys.has(k));
}
