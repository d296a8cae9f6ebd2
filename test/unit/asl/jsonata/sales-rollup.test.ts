/**
 * The shipped JSONata engine with a distributed Map, `engines/sales-rollup.hjson`: it reads a sales CSV
 * from (in-memory) S3 through the real ItemReader, sums batches of 500 rows, writes the results through
 * the real ResultWriter, and fails the run when more than 1% of the rows are in failed batches.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENGINES_ALLOWLIST } from '../../../../engines/allowlist.ts';
import {
  compileGraph,
  type InvokeEffect,
  type InvokeOutcome,
  loadGraph,
  parseVariables,
  runExecution,
  VirtualClock,
} from '../../../../router/asl/index.ts';
import type { ItemSource } from '../../../../router/invoke/ItemReader.ts';
import { performMapRunIo } from '../../../../router/invoke/MapRunIo.ts';
import type { ResultSink } from '../../../../router/invoke/ResultWriter.ts';

const { variables } = parseVariables(readFileSync('engines/vars/local.hjson', 'utf8'));
const loaded = loadGraph(readFileSync('engines/sales-rollup.hjson', 'utf8'), {
  variables,
  allowlist: ENGINES_ALLOWLIST,
});

/** One bucket in memory: `router-engines`, the local InboundBucket. */
function bucket(objects: Map<string, string>): ItemSource & ResultSink {
  return {
    async getObject(name, key) {
      const body = objects.get(`${name}/${key}`);
      if (body === undefined) throw new Error(`S3.NoSuchKey: ${key}`);
      return (async function* () {
        for (let i = 0; i < body.length; i += 4096) yield body.slice(i, i + 4096);
      })();
    },
    async listObjectsV2() {
      return { objects: [] };
    },
    async putObject(name, key, body) {
      objects.set(`${name}/${key}`, body);
    },
  };
}

async function rollup(rows: string[]) {
  if (loaded.graph === undefined) throw new Error(JSON.stringify(loaded.problems));
  const objects = new Map([['router-engines/sales/day.csv', `store,amount\n${rows.join('\n')}\n`]]);
  const store = bucket(objects);
  const invoke = async (effect: InvokeEffect, signal: AbortSignal): Promise<InvokeOutcome> => {
    if (effect.mapRun === undefined) throw new Error(`unexpected invoke of ${effect.resource}`);
    return performMapRunIo(store, effect, signal);
  };
  const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
  const result = await runExecution(
    compileGraph(loaded.graph),
    { executionId: 'rollup-1', input: { key: 'sales/day.csv' }, startTime: clock.now() },
    { invoke, clock },
  );
  return { result, objects };
}

describe('engines/sales-rollup.hjson', () => {
  it('validates against the shipped allowlist', () => {
    expect(loaded.problems).toEqual([]);
  });

  it('sums a CSV in batches of 500 rows and writes each batch result to S3', async () => {
    // Prepare
    const rows = Array.from({ length: 1_200 }, (_, i) => `s${i % 3},${(i % 7) + 0.5}`);

    // Act
    const { result, objects } = await rollup(rows);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const output = result.status === 'WAITING' ? undefined : (result.output as Record<string, string>);
    expect(output?.file).toBe('sales/day.csv');
    expect(output?.mapRun).toMatch(/:mapRun:sales-rollup\/SalesRollup:/);
    expect(output?.manifest).toMatch(/^rollups\/[0-9a-f-]{36}\/manifest\.json$/);
    const folder = (output?.manifest ?? '').replace('manifest.json', '');
    const succeeded = JSON.parse(objects.get(`router-engines/${folder}SUCCEEDED_0.json`) ?? '[]') as {
      Output: string;
    }[];
    const batches = succeeded.map((r) => JSON.parse(r.Output) as { rows: number; total: number });
    expect(batches.map((b) => b.rows).sort()).toEqual([200, 500, 500]);
    const expected = rows.reduce((sum, row) => sum + Number(row.split(',')[1]), 0);
    expect(batches.reduce((sum, b) => sum + b.total, 0)).toBeCloseTo(expected, 6);
  });

  it('fails the run when a bad amount fails more than 1% of the rows', async () => {
    // Prepare
    const rows = Array.from({ length: 1_200 }, (_, i) => (i === 700 ? 's1,twelve' : `s1,${i}`));

    // Act
    const { result } = await rollup(rows);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.status === 'FAILED' ? result.error : undefined).toBe(
      'States.ExceedToleratedFailureThreshold',
    );
  });
});
