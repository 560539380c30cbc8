/** A phone for showing to staff or the customer: all but the last seven digits, and the last two. */
export function maskPhone(e164: string): string {
  return e164.length > 9 ? `${e164.slice(0, e164.length - 7)}***-**-${e164.slice(-2)}` : '***';
}

/** An e-mail for showing: the first letter of the local part and the domain. */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  return at > 0 ? `${email[0]}***${email.slice(at)}` : '***';
}
