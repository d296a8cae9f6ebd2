/**
 * The console's HTTP server (Node's own `http`): the page, its bundled script and style, and the JSON
 * API under `/api/`. Bound to 127.0.0.1 unless told otherwise; bound anywhere else it requires a token,
 * given once in the address (`/?token=...`) and kept in a same-site cookie. Writes are POSTs with a JSON
 * body from the console's own origin, so another site cannot forge one.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildAssets } from './bundle.ts';
import { ApiError, type ConsoleApi } from './ConsoleApi.ts';

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  readonly api: ConsoleApi;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Required token; generated when the host is not a loopback address and none is given. */
  readonly token?: string;
}

/** A running console. */
export interface RunningConsole {
  /** The address to open (with the token, when one is required). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);
const COOKIE = 'router_console_token';
const MAX_BODY_BYTES = 64 * 1024;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>router console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/app.css"></head>
<body><nav id="nav"></nav><main id="main"></main><script type="module" src="/app.js"></script></body></html>
`;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'",
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'request body over 64 KiB');
    chunks.push(buffer);
  }
  if (chunks.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw new ApiError(400, 'request body: expected a JSON object');
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === COOKIE) return value;
  }
  return undefined;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new ApiError(400, `${what} is required`);
  return value;
}

function integer(value: unknown, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ApiError(400, `${what} must be a positive integer`);
  return n;
}

/** The named query parameters present and not empty. */
function params<K extends string>(url: URL, names: readonly K[]): { [P in K]?: string } {
  const found: { [P in K]?: string } = {};
  for (const name of names) {
    const value = url.searchParams.get(name);
    if (value !== null && value !== '') found[name] = value;
  }
  return found;
}

/** Routes one API request to the API; the answer is JSON. */
async function route(api: ConsoleApi, method: string, url: URL, req: IncomingMessage): Promise<unknown> {
  const q = (name: string): string | undefined => url.searchParams.get(name) ?? undefined;
  const path = url.pathname;
  if (method === 'GET') {
    switch (path) {
      case '/api/engines':
        return api.engines();
      case '/api/engine':
        return api.engine(text(q('engine'), 'engine'));
      case '/api/graph':
        return api.graph(text(q('engine'), 'engine'), integer(q('version'), 'version'));
      case '/api/executions':
        return api.executions(params(url, ['engine', 'version', 'status', 'from', 'to', 'text', 'before']));
      case '/api/counts':
        return api.counts(params(url, ['engine', 'from', 'to']));
      case '/api/execution':
        return api.execution(text(q('id'), 'id'), q('key'));
      case '/api/quarantine':
        return api.quarantine(params(url, ['engine', 'reason', 'after']));
      case '/api/quarantine/entry':
        return api.quarantineEntry(text(q('id'), 'id'));
      case '/api/stream':
        return api.stream();
      case '/api/cost':
        return api.cost(q('engine'));
      default:
        throw new ApiError(404, `no such API: GET ${path}`);
    }
  }
  if (method === 'POST') {
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      throw new ApiError(415, 'writes take a JSON body (content-type application/json)');
    const body = await readBody(req);
    switch (path) {
      case '/api/promote':
        return api.promote(text(body.engine, 'engine'), integer(body.version, 'version'));
      case '/api/canary':
        return api.canary(
          text(body.engine, 'engine'),
          integer(body.version, 'version'),
          Number(body.percent),
        );
      case '/api/rollback':
        return api.rollback(text(body.engine, 'engine'));
      case '/api/redrive':
        return api.redrive(text(body.id, 'id'), typeof body.key === 'string' ? body.key : undefined);
      case '/api/quarantine/redrive':
        return api.redriveQuarantined(text(body.id, 'id'));
      default:
        throw new ApiError(404, `no such API: POST ${path}`);
    }
  }
  throw new ApiError(405, `method ${method} not allowed`);
}

/**
 * Starts the console; resolves once it listens.
 *
 * @example
 * const console = await startConsole({ api: new ConsoleApi(consoleDepsFromEnv(process.env)), port: 4567 });
 * process.stdout.write(`console on ${console.url}\n`);
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? (LOOPBACK.has(host) ? undefined : randomBytes(18).toString('base64url'));
  const assets = await buildAssets();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console');
    const method = req.method ?? 'GET';
    if (token !== undefined) {
      const given = url.searchParams.get('token') ?? undefined;
      if (url.pathname === '/' && sameToken(given, token)) {
        res.writeHead(303, {
          location: '/',
          'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        });
        res.end();
        return;
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!sameToken(cookieToken(req), token) && !sameToken(bearer, token)) {
        send(
          res,
          401,
          'text/plain; charset=utf-8',
          'the console needs its token: open the address it printed\n',
        );
        return;
      }
    }
    if (method === 'POST') {
      const origin = req.headers.origin;
      if (origin !== undefined && new URL(origin).host !== req.headers.host) {
        json(res, 403, { error: `writes come from the console's own page, not ${origin}` });
        return;
      }
    }
    if (method === 'GET' && url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', PAGE);
    if (method === 'GET' && url.pathname === '/app.js')
      return send(res, 200, 'text/javascript; charset=utf-8', assets.script);
    if (method === 'GET' && url.pathname === '/app.css')
      return send(res, 200, 'text/css; charset=utf-8', assets.style);
    if (!url.pathname.startsWith('/api/')) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    try {
      json(res, 200, await route(options.api, method, url, req));
    } catch (error) {
      if (error instanceof ApiError) return json(res, error.status, { error: error.message });
      json(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/${token === undefined ? '' : `?token=${token}`}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
