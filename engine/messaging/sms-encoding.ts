/**
 * SMS text on the wire (3GPP TS 23.038 and 23.040, as SMPP 3.4 carries them): the GSM 7-bit default
 * alphabet when every character has a code in it, else UCS-2; long texts split into concatenated parts.
 */

export type SmsEncoding = 'gsm7' | 'ucs2';

/** The GSM 7-bit default alphabet: a character's index is its septet. 0x1B is the escape to the extension table. */
const gsmAlphabet =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The extension table: each character is sent as 0x1B and this septet, so it counts twice. */
const gsmExtension: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

const escape = 0x1b;
const septetOf = new Map<string, number>();
for (let septet = 0; septet < gsmAlphabet.length; septet++) {
  if (septet !== escape) septetOf.set(gsmAlphabet[septet]!, septet);
}
const extensionSeptetOf = new Map(gsmExtension);
const extensionCharOf = new Map(gsmExtension.map(([char, septet]) => [septet, char]));

/** One part without a header; with the 6-octet concatenation header a part holds less. */
const singleLimit = { gsm7: 160, ucs2: 70 } as const;
const concatenatedLimit = { gsm7: 153, ucs2: 67 } as const;
/** The 8-bit reference numbers parts 1…255. */
const maxParts = 255;

const dataCodingOf = { gsm7: 0, ucs2: 8 } as const;
/** esm_class bit saying short_message starts with a user data header. */
export const udhIndicator = 0x40;

/** GSM-7 when every character of the text is in the default alphabet or its extension table. */
export function smsEncodingOf(text: string): SmsEncoding {
  for (const char of text) {
    if (!septetOf.has(char) && !extensionSeptetOf.has(char)) return 'ucs2';
  }
  return 'gsm7';
}

/**
 * The text as indivisible units, each the octets one character takes and its length in the part
 * limit's terms: GSM-7 one octet per septet (an extension character is the escape pair, 2);
 * UCS-2 UTF-16BE (a character outside the basic plane is a surrogate pair, 2 units).
 */
function characterUnits(text: string, encoding: SmsEncoding): { octets: number[]; size: number }[] {
  const units: { octets: number[]; size: number }[] = [];
  for (const char of text) {
    if (encoding === 'gsm7') {
      const septet = septetOf.get(char);
      units.push(
        septet === undefined
          ? { octets: [escape, extensionSeptetOf.get(char)!], size: 2 }
          : { octets: [septet], size: 1 },
      );
    } else {
      const octets: number[] = [];
      for (let i = 0; i < char.length; i++) {
        const code = char.charCodeAt(i);
        octets.push(code >> 8, code & 0xff);
      }
      units.push({ octets, size: char.length });
    }
  }
  return units;
}

/** Splits the units into parts of at most `limit`, never a unit across two parts. */
function segment(units: { octets: number[]; size: number }[], limit: number): number[][] {
  const parts: number[][] = [];
  let current: number[] = [];
  let size = 0;
  for (const unit of units) {
    if (size + unit.size > limit) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(...unit.octets);
    size += unit.size;
  }
  parts.push(current);
  return parts;
}

function totalSize(units: { size: number }[]): number {
  let total = 0;
  for (const unit of units) total += unit.size;
  return total;
}

/** How many parts the text goes out in, for previews and costs (may exceed what one message can carry). */
export function smsParts(text: string): number {
  const encoding = smsEncodingOf(text);
  const units = characterUnits(text, encoding);
  if (totalSize(units) <= singleLimit[encoding]) return 1;
  return segment(units, concatenatedLimit[encoding]).length;
}

export interface EncodedSms {
  encoding: SmsEncoding;
  dataCoding: 0 | 8;
  /** esm_class for every part: 0x40 when the parts carry a concatenation header. */
  esmClass: number;
  /** Each part's short_message octets, the header first when there is more than one. */
  parts: Buffer[];
}

/**
 * Encodes a text for submit_sm. `reference` (taken modulo 256) ties the parts of one message
 * together at the handset, so concurrent long messages to one number need different references.
 * Throws a RangeError for a text longer than 255 parts.
 */
export function encodeSms(text: string, reference: number): EncodedSms {
  const encoding = smsEncodingOf(text);
  const units = characterUnits(text, encoding);
  const dataCoding = dataCodingOf[encoding];
  if (totalSize(units) <= singleLimit[encoding]) {
    return { encoding, dataCoding, esmClass: 0, parts: [Buffer.from(units.flatMap((unit) => unit.octets))] };
  }
  const bodies = segment(units, concatenatedLimit[encoding]);
  if (bodies.length > maxParts) {
    throw new RangeError(
      `the text needs ${bodies.length} SMS parts, at most ${maxParts} can be concatenated`,
    );
  }
  const ref = reference & 0xff;
  const parts = bodies.map((body, i) => Buffer.from([0x05, 0x00, 0x03, ref, bodies.length, i + 1, ...body]));
  return { encoding, dataCoding, esmClass: udhIndicator, parts };
}

/** A part's place in a concatenated message, from its user data header. */
export interface Concatenation {
  reference: number;
  total: number;
  sequence: number;
}

/**
 * Splits short_message octets sent with the UDH indicator into the header's concatenation element
 * (8-bit 0x00 or 16-bit 0x08 reference; null when absent) and the text octets after the header.
 */
export function splitUserDataHeader(octets: Buffer): { concatenation: Concatenation | null; body: Buffer } {
  const headerLength = octets[0] ?? 0;
  const end = Math.min(octets.length, 1 + headerLength);
  let concatenation: Concatenation | null = null;
  for (let at = 1; at + 1 < end; at += 2 + octets[at + 1]!) {
    const id = octets[at]!;
    const length = octets[at + 1]!;
    if (at + 2 + length > end) break;
    if (id === 0x00 && length === 3) {
      concatenation = { reference: octets[at + 2]!, total: octets[at + 3]!, sequence: octets[at + 4]! };
    } else if (id === 0x08 && length === 4) {
      concatenation = {
        reference: octets.readUInt16BE(at + 2),
        total: octets[at + 4]!,
        sequence: octets[at + 5]!,
      };
    }
  }
  return { concatenation, body: octets.subarray(end) };
}

/** GSM-7 as unpacked septets, one per octet (SMPP data_coding 0). */
function decodeGsm7(octets: Buffer): string {
  let text = '';
  for (let i = 0; i < octets.length; i++) {
    const septet = octets[i]! & 0x7f;
    if (septet !== escape) {
      text += gsmAlphabet[septet];
      continue;
    }
    const next = octets[++i];
    if (next === undefined) break;
    // 23.038: an escape before a code the extension table lacks shows the default alphabet's character.
    text += extensionCharOf.get(next & 0x7f) ?? gsmAlphabet[next & 0x7f];
  }
  return text;
}

/** UTF-16BE; a trailing odd octet is dropped. */
function decodeUcs2(octets: Buffer): string {
  const units: number[] = [];
  for (let i = 0; i + 1 < octets.length; i += 2) units.push(octets.readUInt16BE(i));
  let text = '';
  for (let i = 0; i < units.length; i += 4096) text += String.fromCharCode(...units.slice(i, i + 4096));
  return text;
}

/**
 * The alphabet an incoming data_coding names. SMPP gives 0x00–0x0F its own meanings (0 the SMSC
 * default, taken as GSM-7; 8 UCS-2; IA5 and Latin-1 and the rest read as Latin-1); above that the
 * 23.038 coding groups say the alphabet in bits 3–2 (general group) or bit 2 (0xF0 group).
 */
function alphabetOf(dataCoding: number): 'gsm7' | 'ucs2' | 'latin1' {
  if (dataCoding === 0) return 'gsm7';
  if (dataCoding === 8) return 'ucs2';
  if (dataCoding < 0x10) return 'latin1';
  if (dataCoding < 0x40) {
    const alphabet = (dataCoding >> 2) & 0x03;
    return alphabet === 0 ? 'gsm7' : alphabet === 2 ? 'ucs2' : 'latin1';
  }
  if ((dataCoding & 0xf0) === 0xf0) return dataCoding & 0x04 ? 'latin1' : 'gsm7';
  return 'latin1';
}

/** Text of incoming short_message octets (without a user data header) in the given data_coding. */
export function decodeSms(octets: Buffer, dataCoding: number): string {
  const alphabet = alphabetOf(dataCoding);
  if (alphabet === 'gsm7') return decodeGsm7(octets);
  if (alphabet === 'ucs2') return decodeUcs2(octets);
  return octets.toString('latin1');
}
