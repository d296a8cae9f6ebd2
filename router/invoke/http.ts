/**
 * The two integrations that call an HTTP endpoint: the HTTP task (`http:invoke`: any HTTPS URL, with an
 * EventBridge connection for its credentials) and `apigateway:invoke` (an API Gateway stage). The router
 * calls the URL itself, with `fetch`, so locally an engine calls a local server directly. Results and
 * errors are shaped as Step Functions shapes them: `{ Headers, ResponseBody, StatusCode, StatusText }`,
 * a non-2xx answer fails as `States.Http.StatusCode.NNN` (HTTP task) or `ApiGateway.NNN`, with the
 * response body as cause; a connection that fails at all is `States.Http.Socket`.
 */
import type { JsonObject, JsonValue } from '../asl/index.ts';
import { isJsonObject } from '../asl/index.ts';
import type { RequestSigner } from './sigv4.ts';
import type { InvokeOutcome } from './TaskInvoker.ts';

/** What the HTTP integrations need from their host. */
export interface HttpDeps {
  /** The fetch to use (tests pass a stub; default: the global one). */
  readonly fetch?: typeof fetch;
  /**
   * Headers carrying a connection's credentials (`Authentication.ConnectionArn` of the HTTP task); without
   * it the request goes out with the task's own headers only.
   */
  readonly connectionHeaders?: (
    connectionArn: string,
    signal: AbortSignal,
  ) => Promise<Record<string, string>>;
  /** Signs `apigateway:invoke` requests with `AuthType: IAM_ROLE`; without it they go out unsigned. */
  readonly sign?: RequestSigner;
}

function strings(value: JsonValue | undefined): [string, string][] {
  if (!isJsonObject(value)) return [];
  const out: [string, string][] = [];
  for (const [key, item] of Object.entries(value)) {
    for (const one of Array.isArray(item) ? item : [item]) {
      if (one !== null && one !== undefined)
        out.push([key, typeof one === 'string' ? one : JSON.stringify(one)]);
    }
  }
  return out;
}

/** The URL an `apigateway:invoke` task names: `https://ApiEndpoint/Stage/Path?QueryParameters`. */
function apiGatewayUrl(params: JsonObject): string {
  const endpoint = typeof params.ApiEndpoint === 'string' ? params.ApiEndpoint : '';
  const base = /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
  const parts = [params.Stage, params.Path]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .map((part) => part.replace(/^\/+|\/+$/g, ''));
  return [base.replace(/\/+$/, ''), ...parts].join('/');
}

function withQuery(url: string, params: JsonValue | undefined): string {
  const query = strings(params);
  if (query.length === 0) return url;
  const target = new URL(url);
  for (const [key, value] of query) target.searchParams.append(key, value);
  return target.toString();
}

function body(params: JsonObject, headers: Headers): string | undefined {
  const requestBody = params.RequestBody;
  if (requestBody === undefined) return undefined;
  const transform = isJsonObject(params.Transform) ? params.Transform : {};
  if (transform.RequestBodyEncoding === 'URL_ENCODED' && isJsonObject(requestBody)) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
    return new URLSearchParams(strings(requestBody)).toString();
  }
  if (typeof requestBody === 'string') return requestBody;
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return JSON.stringify(requestBody);
}

function parsedBody(text: string): JsonValue {
  if (text === '') return '';
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** Calls the endpoint an `http:invoke` or `apigateway:invoke` task names. */
export async function callHttpEndpoint(
  service: 'http' | 'apigateway' | string,
  params: JsonObject,
  signal: AbortSignal,
  deps: HttpDeps = {},
): Promise<Extract<InvokeOutcome, { readonly ok: boolean }>> {
  const http = service === 'http';
  const endpoint = typeof params.ApiEndpoint === 'string' ? params.ApiEndpoint : '';
  if (endpoint === '') {
    return { ok: false, error: 'States.Runtime', cause: `${service}:invoke needs Parameters.ApiEndpoint` };
  }
  const headers = new Headers(strings(params.Headers));
  const auth = isJsonObject(params.Authentication) ? params.Authentication : {};
  if (http && typeof auth.ConnectionArn === 'string' && deps.connectionHeaders !== undefined) {
    for (const [key, value] of Object.entries(await deps.connectionHeaders(auth.ConnectionArn, signal))) {
      headers.set(key, value);
    }
  }
  const url = withQuery(http ? endpoint : apiGatewayUrl(params), params.QueryParameters);
  const method = typeof params.Method === 'string' ? params.Method.toUpperCase() : 'GET';
  let response: Response;
  try {
    const requestBody = method === 'GET' || method === 'HEAD' ? undefined : body(params, headers);
    const sent =
      !http && params.AuthType === 'IAM_ROLE' && deps.sign !== undefined
        ? await deps.sign({ url, method, headers, body: requestBody })
        : headers;
    response = await (deps.fetch ?? fetch)(url, {
      method,
      headers: sent,
      signal,
      ...(requestBody === undefined ? {} : { body: requestBody }),
    });
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return { ok: false, error: http ? 'States.Http.Socket' : 'ApiGateway.SdkClientException', cause };
  }
  const text = await response.text();
  if (response.status < 200 || response.status > 299) {
    const error = http ? `States.Http.StatusCode.${response.status}` : `ApiGateway.${response.status}`;
    return { ok: false, error, cause: text };
  }
  const responseHeaders: JsonObject = {};
  response.headers.forEach((value, key) => {
    responseHeaders[key] = [value];
  });
  return {
    ok: true,
    output: {
      Headers: responseHeaders,
      ResponseBody: parsedBody(text),
      StatusCode: response.status,
      StatusText: response.statusText,
    },
  };
}
