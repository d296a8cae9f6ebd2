/**
 * The AWS query protocol, both ways, for the emulations that speak it (SNS always; SQS for older clients).
 * A request is a form whose keys flatten a structure with dots and 1-based indexes; a response is XML.
 *
 * ```
 * Action=Publish&TopicArn=arn:...&MessageAttributes.entry.1.Name=kind
 *   &MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=order
 *
 *   -> { Action: 'Publish', TopicArn: 'arn:...',
 *        MessageAttributes: { entry: [{ Name: 'kind', Value: { DataType: 'String', StringValue: 'order' } }] } }
 * ```
 *
 * The tree keeps the wire's own member names (`entry`, `member`); {@link queryList} and {@link queryMap}
 * read lists and maps out of it, so each operation states which wrapper its fields use.
 */
import { randomUUID } from 'node:crypto';
import type { EdgeResponse } from './service.ts';

/** One node of a decoded query form: text at the leaves, objects keyed by name or by 1-based index. */
export type QueryNode = string | { readonly [key: string]: QueryNode };

/** A form that cannot be read as a query-protocol request. */
export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';
}

/**
 * Decodes an `application/x-www-form-urlencoded` body (and the URL's query string) into a tree.
 *
 * @throws QuerySyntaxError when one key is both a value and a structure (`A=1&A.B=2`).
 */
export function decodeQuery(form: string): { readonly [key: string]: QueryNode } {
  const root: Record<string, QueryNode> = {};
  for (const [key, value] of new URLSearchParams(form)) {
    const path = key.split('.');
    let node: Record<string, QueryNode> = root;
    for (let index = 0; index < path.length; index += 1) {
      const part = path[index] ?? '';
      if (index === path.length - 1) {
        if (typeof node[part] === 'object')
          throw new QuerySyntaxError(`query parameter '${key}' is both a value and a structure`);
        node[part] = value;
        break;
      }
      const next = node[part];
      if (next === undefined) {
        const created: Record<string, QueryNode> = {};
        node[part] = created;
        node = created;
      } else if (typeof next === 'string') {
        throw new QuerySyntaxError(`query parameter '${key}' is both a value and a structure`);
      } else {
        node = next as Record<string, QueryNode>;
      }
    }
  }
  return root;
}

/** The text at `key`, or undefined when absent or a structure. */
export function queryString(node: QueryNode | undefined, key: string): string | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const value = node[key];
  return typeof value === 'string' ? value : undefined;
}

/** The indexed children of a node (`X.1`, `X.2`, ... or `X.member.1`, ...), in index order. */
export function queryList(node: QueryNode | undefined, wrapper?: string): QueryNode[] {
  if (node === undefined || typeof node === 'string') return [];
  const holder = wrapper === undefined ? node : node[wrapper];
  if (holder === undefined || typeof holder === 'string') return [];
  return Object.entries(holder)
    .filter(([index]) => /^\d+$/.test(index))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, value]) => value);
}

/** A map flattened as `X.entry.N.key` / `X.entry.N.value` (names configurable), as a record. */
export function queryMap(
  node: QueryNode | undefined,
  options: { readonly wrapper?: string; readonly key: string; readonly value: string },
): Record<string, QueryNode> {
  const out: Record<string, QueryNode> = {};
  for (const entry of queryList(node, options.wrapper)) {
    const key = queryString(entry, options.key);
    const value = typeof entry === 'string' ? undefined : entry[options.value];
    if (key !== undefined && value !== undefined) out[key] = value;
  }
  return out;
}

/** Escapes text for an XML element or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"\r]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** An XML fragment: `xml('TopicArn', arn)`; content that is an array is joined. */
export function xml(
  name: string,
  content: string | number | boolean | readonly string[] | undefined,
): string {
  if (content === undefined) return '';
  const inner = Array.isArray(content) ? content.join('') : escapeXml(String(content));
  return `<${name}>${inner}</${name}>`;
}

/** An XML fragment whose content is already XML. */
export function xmlRaw(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

/** A query-protocol success: `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata/>`. */
export function queryResponse(namespace: string, action: string, result: string): EdgeResponse {
  const requestId = randomUUID();
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}">` +
    (result === '' ? '' : `<${action}Result>${result}</${action}Result>`) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

/** A query-protocol error: `<ErrorResponse><Error><Type/><Code/><Message/></Error>`. */
export function queryError(
  namespace: string,
  status: number,
  code: string,
  message: string,
  type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
): EdgeResponse {
  const requestId = randomUUID();
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error>` +
    `${xml('Type', type)}${xml('Code', code)}${xml('Message', message)}</Error>` +
    `${xml('RequestId', requestId)}</ErrorResponse>`;
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}
