/**
 * The demo's seed-000 act: two sources in `public.source`, one per source type (the listing API over
 * HTTP, CSV exports on the stack's SFTP server), taken through all four flows in consecutive runs that
 * connect: the first run is a Backdated full load, the schedule puts it back to NORMAL, the Normal run
 * starts at the first run's watermark and loads only what changed upstream, then Re-specs and Sold.
 * The two sources run side by side; each round waits for both, so the schedule never fires mid-run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registerSource } from '../../handlers/flow-types/tables.ts';
import { literal, query, transaction } from '../../handlers/shared/sql.ts';
import type { ExecutionRecord } from '../../router/executions/index.ts';
import type { LocalScheduler } from '../scheduler/index.ts';
import type { SftpEndpoint } from '../sftp/index.ts';
import { type ListingApi, listingsCsv, sampleListings, type UpstreamListing } from '../sources/index.ts';

/** What the act needs from the running demo. */
export interface SourceFlowsOptions {
  readonly listingApi: ListingApi;
  readonly sftp: SftpEndpoint;
  readonly scheduler: LocalScheduler;
  /** Puts a `source.batch.requested` event for the source; resolves with its dedup key. */
  readonly request: (sourceId: string) => Promise<string>;
  /** Resolves when the execution of a dedup key has ended. */
  readonly ended: (dedupKey: string) => Promise<ExecutionRecord>;
  readonly say: (line: string) => void;
}

interface DemoSource {
  readonly id: string;
  readonly type: string;
  readonly connection: Record<string, unknown>;
  add(listings: readonly UpstreamListing[]): Promise<void>;
}

const RESET = 'flow-types-reset-flow-type';

function second(iso: unknown): string {
  return String(iso).slice(0, 19).replace('T', ' ');
}

/** Plays the act; returns how many runs it made. */
export async function playSourceFlows(options: SourceFlowsOptions): Promise<number> {
  const { say } = options;
  const now = new Date();
  let drops = 0;
  const sftpDir = join(options.sftp.root, 'exports', 'listings');
  await mkdir(sftpDir, { recursive: true });
  const sources: DemoSource[] = [
    {
      id: 'listings-http',
      type: 'http-json',
      connection: { base_url: options.listingApi.url, page_size: 2 },
      add: async (listings) => options.listingApi.store.upsert(listings),
    },
    {
      id: 'listings-sftp',
      type: 'sftp-csv',
      connection: {
        host: options.sftp.host,
        port: options.sftp.port,
        username: options.sftp.username,
        password: options.sftp.password,
        directory: '/exports/listings',
      },
      async add(listings) {
        drops += 1;
        await writeFile(
          join(sftpDir, `listings-${String(drops).padStart(4, '0')}.csv`),
          listingsCsv(listings),
        );
      },
    },
  ];
  for (const source of sources) {
    await source.add(sampleListings(now, source.id));
    await registerSource(
      {
        id: source.id,
        source_type: source.type,
        connection: source.connection,
        batch_execution_params: { flow_type: 'Normal' },
      },
      now.toISOString(),
    );
  }
  say(
    `\nSeed 000: sources ${sources.map((s) => `${s.id} (${s.type})`).join(' and ')} in public.source, six listings upstream each`,
  );
  let runs = 0;
  const round = async (label: string, params?: Record<string, unknown>): Promise<void> => {
    await Promise.all(
      sources.map(async (source) => {
        if (params !== undefined) {
          await transaction([
            `UPDATE public.source SET batch_execution_params = ${literal(JSON.stringify(params))},
               params_updated_at = current_timestamp WHERE id = ${literal(source.id)}`,
          ]);
        }
        const record = await options.ended(await options.request(source.id));
        runs += 1;
        if (record.status !== 'SUCCEEDED') {
          say(
            `  ${source.id.padEnd(14)} ${label.padEnd(9)} ${record.status}: ${record.error} ${record.cause ?? ''}`,
          );
          return;
        }
        const out = JSON.parse(record.output ?? '{}') as Record<string, unknown>;
        say(
          `  ${source.id.padEnd(14)} ${label.padEnd(9)} -> ${String(out.flow).padEnd(9)} ${String(out.date_field).padEnd(18)} ${second(out.from)} .. ${second(out.to)}  ${out.rows} rows  watermark ${out.watermark === null ? 'kept' : second(out.watermark)}`,
        );
      }),
    );
  };
  const fire = async (): Promise<void> => {
    const run = await options.scheduler.fire(RESET);
    const reset = (run.payload as { reset?: string[] } | null)?.reset ?? [];
    say(`  schedule   ${RESET}: back to NORMAL: ${reset.length === 0 ? 'none' : reset.join(', ')}`);
  };

  await round('Normal');
  await fire();
  for (const source of sources) {
    const [, , third] = sampleListings(now, source.id);
    if (third === undefined) continue;
    const changed = new Date().toISOString();
    await source.add([
      { ...third, price: third.price + 9_000, updatedAt: changed },
      {
        ...third,
        id: `${source.id}-7`,
        street: '2 New Row',
        price: 120_000,
        updatedAt: changed,
        soldOn: null,
      },
    ]);
  }
  say('  upstream   one listing changed and one added in each source');
  await round('Normal');
  await round('Re-specs', {
    type: 'Re-specs',
    Sql: "UPDATE public.listing SET city = upper(city) WHERE source_id LIKE 'listings-%'",
  });
  await round('Sold', { type: 'Sold', year: 2021 });
  await fire();
  const rows = await query(
    `SELECT s.id, s.runtime_count, s.last_watermark, s.batch_execution_params,
            (SELECT count(*) FROM public.listing l WHERE l.source_id = s.id) AS listings
       FROM public.source s WHERE s.id LIKE 'listings-%' ORDER BY s.id`,
  );
  for (const row of rows) {
    say(
      `  public.source ${String(row.id).padEnd(14)} runtime_count ${row.runtime_count}, last_watermark ${row.last_watermark}, params ${row.batch_execution_params}; ${row.listings} rows in public.listing`,
    );
  }
  return runs;
}
