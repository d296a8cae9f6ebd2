/**
 * The source text of one member of a JSON object, read from the text the object was parsed from. A
 * standard execution stores its input as JSON; for a CloudEvent that input is the event's `data`, whose
 * text is already in the record, so slicing it out costs a scan where serialising the parsed value again
 * costs a second pass over every number and string (about a tenth of a standard record's CPU). Its
 * output is most often that input with a member added per Task (`ResultPath: '$.name'`), so its text is
 * the input's text with those members written after it.
 */
import { isJsonObject } from './asl/index.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Whether `code` is JSON whitespace (space, tab, line feed, carriage return). */
function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** The first index at or after `from` that is not whitespace. */
function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The index just past the string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return text.length;
    let slashes = 0;
    for (let j = quote - 1; text.charCodeAt(j) === BACKSLASH; j--) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/** The index just past the value that starts at `start`. */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return stringEnd(text, start);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = start;
    for (; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isSpace(code)) break;
    }
    return i;
  }
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

/**
 * The text of the member `key` of the JSON object in `text`, or undefined when the object has no such
 * member or names one of its members with an escape sequence (which would have to be decoded to be
 * compared). `text` must be JSON that parsed to an object; like `JSON.parse`, the last of duplicate
 * members wins.
 *
 * @example
 * memberText('{"id":"1","data": {"a": 1} }', 'data'); // '{"a": 1}'
 */
export function memberText(text: string, key: string): string | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  let found: string | undefined;
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const nameStart = i + 1;
    const nameEnd = stringEnd(text, i);
    for (let j = nameStart; j < nameEnd - 1; j++) if (text.charCodeAt(j) === BACKSLASH) return undefined;
    const named = nameEnd - 1 - nameStart === key.length && text.startsWith(key, nameStart);
    i = skipSpace(text, nameEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    const start = skipSpace(text, i + 1);
    const end = valueEnd(text, start);
    if (named) found = text.slice(start, end);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
  return found;
}

/**
 * The JSON text of `value` when it is `base` with members added after all of `base`'s own, the same
 * values in the same order before them (what `ResultPath: '$.field'` makes of an object): `baseText` with
 * the new members written in before its closing brace. Undefined when `value` is not such an extension,
 * then only serialising it whole will do. `baseText` must be the trimmed JSON text `base` was parsed
 * from, and neither value changed since: the interpreter never changes a value it has produced.
 *
 * @example
 * extendedText({ a: 1, b: 2 }, { a: 1 }, '{"a": 1}'); // '{"a": 1,"b":2}'
 */
export function extendedText(value: unknown, base: unknown, baseText: string): string | undefined {
  if (value === base) return baseText;
  if (!isJsonObject(value) || !isJsonObject(base)) return undefined;
  if (baseText.charCodeAt(baseText.length - 1) !== CLOSE_BRACE) return undefined;
  const baseKeys = Object.keys(base);
  const keys = Object.keys(value);
  if (baseKeys.length === 0 || keys.length <= baseKeys.length) return undefined;
  for (let i = 0; i < baseKeys.length; i++) {
    const key = baseKeys[i] as string;
    if (keys[i] !== key || value[key] !== base[key]) return undefined;
  }
  let text = baseText.slice(0, -1);
  for (let i = baseKeys.length; i < keys.length; i++) {
    const key = keys[i] as string;
    const member = JSON.stringify(value[key]);
    if (member !== undefined) text += `,${JSON.stringify(key)}:${member}`;
  }
  return `${text}}`;
}
