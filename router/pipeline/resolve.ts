/**
 * Resolve: engine name -> alias (live, canary weights) -> version -> compiled graph. A batch works from
 * one alias snapshot, taken when it starts, so all its messages see the same aliases; the routes the
 * aliases' `Match` patterns imply are compiled once per snapshot, not once per batch.
 */
import type { CompiledGraph, ExecutionMode } from '../asl/index.ts';
import type { ExecutionKey } from '../executions/index.ts';
import type { AliasSnapshot, EngineResolver, LoadedEngine } from '../registry/index.ts';
import { createRouter, type Router } from './route.ts';

/** The aliases one batch runs with, and the routes they imply. */
export interface BatchAliases {
  readonly snapshot: AliasSnapshot;
  readonly router: Router;
}

/** Keeps the routes of the latest snapshot, so a batch on an unchanged snapshot compiles nothing. */
export class AliasRoutes {
  private last: BatchAliases | undefined;

  constructor(private readonly resolver: EngineResolver<CompiledGraph>) {}

  /** The aliases and routes the next batch runs with (the resolver decides how fresh they are). */
  async forBatch(): Promise<BatchAliases> {
    const snapshot = await this.resolver.snapshot();
    if (this.last?.snapshot !== snapshot) this.last = { snapshot, router: routerOf(snapshot) };
    return this.last;
  }
}

function routerOf(snapshot: AliasSnapshot): Router {
  const routes = [...snapshot.aliases.values()]
    .filter((alias) => alias.match !== undefined)
    .map((alias) => ({
      engine: alias.engine,
      ...(alias.match === undefined ? {} : { pattern: alias.match }),
      ...(alias.idPath === undefined ? {} : { idPath: alias.idPath }),
    }));
  return createRouter(routes);
}

/** The mode a new execution of `engine` runs in, as its live alias says (standard by default). */
export function modeOf(aliases: BatchAliases, engine: string): ExecutionMode {
  return aliases.snapshot.aliases.get(engine)?.mode ?? 'standard';
}

/** True when `engine` has a live alias in the batch's snapshot, so its messages can run. */
export function isPublished(aliases: BatchAliases, engine: string): boolean {
  return aliases.snapshot.aliases.has(engine);
}

/**
 * The version a new message runs on: the alias's choice, sticky per dedup key under a canary. A loaded
 * version is answered without a promise.
 */
export function resolveVersion(
  resolver: EngineResolver<CompiledGraph>,
  aliases: BatchAliases,
  key: ExecutionKey,
): LoadedEngine<CompiledGraph> | Promise<LoadedEngine<CompiledGraph>> {
  return resolver.resolve(key.engine, key.dedupKey, aliases.snapshot);
}
