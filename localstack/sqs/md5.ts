/**
 * The digests SQS returns with every message. The SDK checks `MD5OfMessageBody` / `MD5OfBody` on send and
 * receive and refuses the response when it differs, so they must be computed exactly as SQS does; the
 * attributes digest follows SQS's documented encoding:
 *
 * ```
 * for each attribute, by name:  len(name) name  len(type) type  transport  len(value) value
 *                               (lengths: 4-byte big-endian; transport: 1 = String/Number, 2 = Binary)
 * ```
 */
import { createHash } from 'node:crypto';

/** A message attribute as the JSON protocol carries it (`BinaryValue` base64). */
export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** Hex MD5 of a UTF-8 string. */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Hex MD5 of a message's attributes; undefined when it has none (SQS then omits the field). */
export function md5OfMessageAttributes(
  attributes: Readonly<Record<string, MessageAttributeValue>>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(attribute.DataType, 'utf8')));
    if (attribute.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      hash.update(lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64')));
    } else {
      hash.update(Buffer.from([1]));
      hash.update(lengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8')));
    }
  }
  return hash.digest('hex');
}
