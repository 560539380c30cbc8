import { DomainError } from '../../engine/errors';
import { inspectValue, maxDepth } from './inspect-value';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

interface Frame {
  /** The keys seen so far in an object; null in an array. */
  keys: Set<string> | null;
  /** The current member: the last key read in an object, the index in an array. */
  member: string | number;
  expectingKey: boolean;
}

const pathOf = (stack: readonly Frame[]) => ['body', ...stack.map((f) => f.member)].join('.');

/**
 * Walks the raw text for what `JSON.parse` lets through silently: a key repeated in one object (the
 * last one would win: `{"amount":1,"amount":999999999}`) and nesting past {@link maxDepth}. Strings are
 * skipped whole, so braces and commas inside them do not count.
 */
function scanStructure(text: string): void {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (text.charCodeAt(i) === QUOTE) {
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== QUOTE)
        end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      const top = stack.at(-1);
      if (top?.keys && top.expectingKey) {
        const key = parseOrRefuse(text.slice(i, end + 1)) as string;
        top.member = key;
        if (top.keys.has(key))
          throw new DomainError('duplicate_key', `"${key}" is given twice in one object`, 400, pathOf(stack));
        top.keys.add(key);
        top.expectingKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (stack.length >= maxDepth)
        throw new DomainError('too_deep', `JSON nested deeper than ${maxDepth} levels`, 400, pathOf(stack));
      stack.push(
        c === '{'
          ? { keys: new Set(), member: '', expectingKey: true }
          : { keys: null, member: 0, expectingKey: false },
      );
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.keys) top.expectingKey = true;
      else if (top) top.member = (top.member as number) + 1;
    }
  }
}

function parseOrRefuse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DomainError('invalid_json', `the body is not JSON: ${(error as Error).message}`, 400, 'body');
  }
}

/**
 * The engine API's JSON body parser: the structure is checked on the raw text first (repeated keys,
 * depth), then the parsed value leaf by leaf (strings PostgreSQL can store, integers that are exact).
 * Each refusal is a 400 naming the member, e.g. `body.lines.0.sku`.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new DomainError('invalid_json', 'the body is empty; send a JSON object', 400, 'body');
  scanStructure(text);
  const value = parseOrRefuse(text);
  inspectValue(value, 'body');
  return value;
}
