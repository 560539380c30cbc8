import { parsePhone } from './phone';

/**
 * A phone as staff and customers see it: calling code, the first three digits of the national number
 * and the last two ("+7 916 ***-**-67"). Values that cannot be read (old imports) show the last two only.
 */
export function maskPhone(value: string): string {
  try {
    const phone = parsePhone(value);
    const national = phone.nationalNumber;
    return `+${phone.callingCode} ${national.slice(0, 3)} ***-**-${national.slice(-2)}`;
  } catch {
    const digits = value.replace(/\D/g, '');
    return `***-**-${digits.length >= 6 ? digits.slice(-2) : '**'}`;
  }
}

/** An e-mail as staff and customers see it: the first letter of the mailbox and the domain. */
export function maskEmail(value: string): string {
  const email = value.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***@${email.slice(at + 1)}`;
}
