/**
 * Second stage: envelope -> engine name and dedup key. An explicit `engine` attribute wins; otherwise
 * routes are tried in a fixed order and the first whose EventBridge event pattern (compiled once by
 * `router/patterns`) matches the envelope decides. A raw JSON object is keyed by its route's `idPath`.
 */
import type { JsonObject, JsonValue } from '../asl/index.ts';
import { compilePattern, PatternError } from '../patterns/index.ts';
import { type Envelope, envelopeDocument } from './envelope.ts';

/** A routing rule: events matching `pattern` (all events when absent) go to `engine`. */
export interface Route {
  readonly engine: string;
  /** EventBridge event pattern, matched against the CloudEvent (or the raw JSON object). */
  readonly pattern?: JsonObject;
  /**
   * For non-CloudEvents objects: a path (`$.order.id`, `order.id`, `items[0].id`) to the message id, so
   * redeliveries and re-sends of the same message deduplicate; without it the stream position is used.
   */
  readonly idPath?: string;
  /** Lower numbers are tried first; default 0. Ties are broken by engine name, then declaration order. */
  readonly priority?: number;
}

/** The routing decision for one envelope. */
export interface RouteMatch {
  readonly engine: string;
  /** `explicit` when the envelope named its engine, else `pattern`. */
  readonly via: 'explicit' | 'pattern';
  /** The route that matched (absent for explicit routing). */
  readonly route?: Route;
  /** The final dedup key (for raw objects possibly taken from the route's `idPath`). */
  readonly dedupKey: string;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PATH_TOKEN = /[^.[\]]+|\[(\d+)\]/g;

/** Splits `$.a.b[0].c` (the leading `$.` optional) into keys and indexes. */
export function parseIdPath(idPath: string): (string | number)[] {
  const body = idPath.startsWith('$.') ? idPath.slice(2) : idPath.startsWith('$[') ? idPath.slice(1) : idPath;
  if (body === '' || /\.\.|^\.|\.$/.test(body))
    throw new PatternError(`idPath '${idPath}' is not a simple path`);
  const parts: (string | number)[] = [];
  for (const match of body.matchAll(PATH_TOKEN)) {
    parts.push(match[1] === undefined ? match[0] : Number(match[1]));
  }
  if (parts.length === 0) throw new PatternError(`idPath '${idPath}' is not a simple path`);
  return parts;
}

/** The value at a parsed {@link parseIdPath} path, or undefined when any step is missing. */
export function readPath(document: JsonValue, parts: readonly (string | number)[]): JsonValue | undefined {
  let current: JsonValue | undefined = document;
  for (const part of parts) {
    if (typeof part === 'number') current = Array.isArray(current) ? current[part] : undefined;
    else current = isObject(current) ? current[part] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

interface CompiledRoute {
  readonly route: Route;
  readonly matches: (document: JsonObject) => boolean;
  readonly idPath?: (string | number)[];
}

/** A compiled, ordered route table. */
export interface Router {
  /** The engine for an envelope, or undefined when nothing matches (quarantine it as `no-route`). */
  route(envelope: Envelope): RouteMatch | undefined;
}

function dedupKeyFor(envelope: Envelope, idPath: readonly (string | number)[] | undefined): string {
  if (envelope.kind !== 'raw' || idPath === undefined) return envelope.dedupKey;
  const id = readPath(envelope.body, idPath);
  if (typeof id === 'string' && id !== '') return id;
  if (typeof id === 'number') return String(id);
  return envelope.dedupKey;
}

/**
 * Builds the router from the live routes. Patterns are compiled here, once; an invalid route throws.
 *
 * @example
 * const router = createRouter([{ engine: 'orders', pattern: { type: [{ prefix: 'order.' }] } }]);
 * router.route(envelope)?.engine; // 'orders'
 */
export function createRouter(routes: readonly Route[]): Router {
  const compiled: CompiledRoute[] = routes.map((route, index) => {
    if (typeof route.engine !== 'string' || route.engine === '') {
      throw new PatternError(`route ${index}: 'engine' must be a non-empty string`);
    }
    if (route.priority !== undefined && !Number.isFinite(route.priority)) {
      throw new PatternError(`route ${index} (${route.engine}): 'priority' must be a finite number`);
    }
    try {
      const matches = route.pattern === undefined ? () => true : compilePattern(route.pattern);
      return route.idPath === undefined
        ? { route, matches }
        : { route, matches, idPath: parseIdPath(route.idPath) };
    } catch (error) {
      if (error instanceof PatternError) {
        throw new PatternError(`route ${index} (${route.engine}): ${error.message}`, { cause: error });
      }
      throw error;
    }
  });
  const ordered = compiled
    .map((c, index) => ({ c, index }))
    .sort(
      (a, b) =>
        (a.c.route.priority ?? 0) - (b.c.route.priority ?? 0) ||
        (a.c.route.engine < b.c.route.engine ? -1 : a.c.route.engine > b.c.route.engine ? 1 : 0) ||
        a.index - b.index,
    )
    .map(({ c }) => c);

  const route = (envelope: Envelope): RouteMatch | undefined => {
    if (envelope.kind !== 'raw' && envelope.event.engine !== undefined) {
      return { engine: envelope.event.engine, via: 'explicit', dedupKey: envelope.dedupKey };
    }
    const document = envelopeDocument(envelope);
    for (const candidate of ordered) {
      if (candidate.matches(document)) {
        return {
          engine: candidate.route.engine,
          via: 'pattern',
          route: candidate.route,
          dedupKey: dedupKeyFor(envelope, candidate.idPath),
        };
      }
    }
    return undefined;
  };

  return { route };
}
