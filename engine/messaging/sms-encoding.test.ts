import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSms, encodeSms, smsEncodingOf, smsParts, splitUserDataHeader } from './sms-encoding';

const gsmCharacters = [
  ...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿',
  ...'abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€',
];
const gsmText = fc
  .array(fc.constantFrom(...gsmCharacters), { maxLength: 700 })
  .map((chars) => chars.join(''));
/** Any Unicode, with Cyrillic and emoji (surrogate pairs) mixed in so every sample needs UCS-2. */
const nonGsmText = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 3 }), fc.constantFrom('ж', '😀', 'Я', '€')), {
    maxLength: 300,
  })
  .map((pieces) => `ж${pieces.join('')}`);

/** The text octets of every part, headers dropped, joined. */
function body(parts: Buffer[], esmClass: number): Buffer {
  return Buffer.concat(parts.map((part) => (esmClass & 0x40 ? splitUserDataHeader(part).body : part)));
}

function septets(part: Buffer): number {
  return splitUserDataHeader(part).body.length;
}

describe('SMS encoding', () => {
  it('decodes the concatenated parts of any GSM text back to the text, in GSM-7', () => {
    fc.assert(
      fc.property(gsmText, fc.nat(1000), (text, reference) => {
        const sms = encodeSms(text, reference);
        expect(sms.encoding).toBe('gsm7');
        expect(sms.dataCoding).toBe(0);
        expect(decodeSms(body(sms.parts, sms.esmClass), 0)).toBe(text);
      }),
    );
  });

  it('decodes the concatenated parts of any non-GSM text back to the text, in UCS-2', () => {
    fc.assert(
      fc.property(nonGsmText, fc.nat(1000), (text, reference) => {
        const sms = encodeSms(text, reference);
        expect(sms.encoding).toBe('ucs2');
        expect(sms.dataCoding).toBe(8);
        expect(decodeSms(body(sms.parts, sms.esmClass), 8)).toBe(text);
      }),
    );
  });

  it('keeps GSM parts within 160 septets alone or 153 concatenated, no part ending in an escape', () => {
    fc.assert(
      fc.property(gsmText, (text) => {
        const sms = encodeSms(text, 1);
        expect(sms.parts).toHaveLength(smsParts(text));
        if (sms.parts.length === 1) {
          expect(sms.esmClass).toBe(0);
          expect(sms.parts[0]!.length).toBeLessThanOrEqual(160);
          return;
        }
        expect(sms.esmClass).toBe(0x40);
        for (const part of sms.parts) {
          const { body: octets } = splitUserDataHeader(part);
          expect(octets.length).toBeLessThanOrEqual(153);
          expect(octets.length).toBeGreaterThan(0);
          // An escape is always followed by its character in the same part.
          let i = 0;
          while (i < octets.length) i += octets[i] === 0x1b ? 2 : 1;
          expect(i).toBe(octets.length);
        }
      }),
    );
  });

  it('keeps UCS-2 parts within 70 units alone or 67 concatenated, no surrogate pair split', () => {
    fc.assert(
      fc.property(nonGsmText, (text) => {
        const sms = encodeSms(text, 1);
        expect(sms.parts).toHaveLength(smsParts(text));
        const limit = sms.parts.length === 1 ? 140 : 134;
        for (const part of sms.parts) {
          const octets = sms.parts.length === 1 ? part : splitUserDataHeader(part).body;
          expect(octets.length).toBeLessThanOrEqual(limit);
          const last = octets.readUInt16BE(octets.length - 2);
          expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        }
      }),
    );
  });

  it('numbers concatenated parts 1…n under one reference and total', () => {
    const sms = encodeSms('x'.repeat(400), 0x1ff);
    expect(sms.parts.map((part) => [...part.subarray(0, 6)])).toEqual([
      [0x05, 0x00, 0x03, 0xff, 3, 1],
      [0x05, 0x00, 0x03, 0xff, 3, 2],
      [0x05, 0x00, 0x03, 0xff, 3, 3],
    ]);
    expect(sms.parts.map((part) => splitUserDataHeader(part).concatenation)).toEqual([
      { reference: 0xff, total: 3, sequence: 1 },
      { reference: 0xff, total: 3, sequence: 2 },
      { reference: 0xff, total: 3, sequence: 3 },
    ]);
  });

  it('sends 160 GSM characters in one part and 161 in two', () => {
    expect(smsParts('a'.repeat(160))).toBe(1);
    expect(encodeSms('a'.repeat(160), 1).parts).toHaveLength(1);
    expect(smsParts('a'.repeat(161))).toBe(2);
    expect(encodeSms('a'.repeat(161), 1).parts.map(septets)).toEqual([153, 8]);
  });

  it('counts € as two septets, the escape 0x1B and 0x65, and never splits the pair', () => {
    expect(encodeSms('€', 1).parts[0]).toEqual(Buffer.from([0x1b, 0x65]));
    expect(smsParts('€'.repeat(80))).toBe(1);
    expect(smsParts('€'.repeat(81))).toBe(2);
    // 164 septets in all; after 152, € would take the 153rd and 154th: it moves whole to the second part.
    const sms = encodeSms(`${'a'.repeat(152)}€${'b'.repeat(10)}`, 1);
    expect(sms.parts.map(septets)).toEqual([152, 12]);
  });

  it('writes GSM characters as their default alphabet septets, one per octet', () => {
    expect(encodeSms('@£$¥ A_[', 1).parts[0]).toEqual(
      Buffer.from([0x00, 0x01, 0x02, 0x03, 0x20, 0x41, 0x11, 0x1b, 0x3c]),
    );
    expect(smsEncodingOf('Hello {name}, 10€ ~ |^|')).toBe('gsm7');
  });

  it('sends 134 Cyrillic characters in two parts of 67 and 201 in three', () => {
    const sms = encodeSms('ж'.repeat(134), 7);
    expect(sms.encoding).toBe('ucs2');
    expect(sms.parts.map((part) => splitUserDataHeader(part).body.length / 2)).toEqual([67, 67]);
    expect(smsParts('ж'.repeat(70))).toBe(1);
    expect(smsParts('ж'.repeat(201))).toBe(3);
  });

  it('refuses a text longer than 255 parts', () => {
    expect(() => encodeSms('a'.repeat(153 * 255 + 1), 1)).toThrow(RangeError);
    expect(smsParts('a'.repeat(153 * 255 + 1))).toBe(256);
  });

  it('decodes incoming UCS-2, Latin-1, IA5 and GSM escapes lacking an extension character', () => {
    expect(decodeSms(Buffer.from('04210442043e043f', 'hex'), 8)).toBe('Стоп');
    expect(decodeSms(Buffer.from('café', 'latin1'), 3)).toBe('café');
    expect(decodeSms(Buffer.from('STOP $5', 'latin1'), 1)).toBe('STOP $5');
    expect(decodeSms(Buffer.from([0x53, 0x1b, 0x41, 0x1b, 0x65]), 0)).toBe('SA€');
    expect(decodeSms(Buffer.from([0x00, 0x02]), 0xf0)).toBe('@$');
    expect(decodeSms(Buffer.from('0041', 'hex'), 0x18)).toBe('A');
  });

  it('finds a 16-bit reference concatenation element among other header elements', () => {
    const part = Buffer.from([0x09, 0x24, 0x01, 0x01, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 0x48, 0x49]);
    expect(splitUserDataHeader(part)).toEqual({
      concatenation: { reference: 0x1234, total: 2, sequence: 1 },
      body: Buffer.from('HI'),
    });
  });
});
