import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { trustedSerializer } from './trusted-serializer';

const schema = z.object({ id: z.number().int(), tier: z.string().nullable() });
const route = { schema, method: 'POST', url: '/v1/x', httpStatus: '200' };

describe('trusted serializer', () => {
  it('writes the answer as it is', () => {
    const write = trustedSerializer(false)(route);
    expect(write({ id: 1, tier: null, extra: true })).toBe('{"id":1,"tier":null,"extra":true}');
  });

  it('in the test suite, refuses an answer its schema would encode otherwise', () => {
    const write = trustedSerializer(true)(route);
    expect(write({ tier: 'gold', id: 1 })).toBe('{"tier":"gold","id":1}');
    expect(() => write({ id: 1, tier: null, extra: true })).toThrow(/not what its schema encodes/);
    expect(() => write({ id: 1.5, tier: null })).toThrow();
  });
});
