import { beforeEach, describe, expect, it } from 'vitest';
import { decodeRecordData, setQuarantineStoreFactory } from '../../../router/cli/commands/quarantine.ts';
import { StoreUnavailableError } from '../../../router/errors.ts';
import {
  MemoryQuarantineStore,
  type QuarantinedRecord,
  type QuarantineStore,
} from '../../../router/quarantine/index.ts';
import { runRouterCli } from '../../support/cli.ts';

const SHARD = 'shardId-000000000000';

function record(sequenceNumber: string, arrivedAt: string, data: Buffer): QuarantinedRecord {
  return { data: data.toString('base64'), partitionKey: 'pk', sequenceNumber, shardId: SHARD, arrivedAt };
}

const ORDER = Buffer.from(JSON.stringify({ specversion: '1.0', id: 'o-1', source: 'shop', type: 'order' }));

let store: MemoryQuarantineStore;
let ids: string[];

beforeEach(async () => {
  store = new MemoryQuarantineStore({ now: () => new Date('2026-04-10T00:00:00Z') });
  setQuarantineStoreFactory(() => store);
  ids = [
    (
      await store.put({
        record: record('1', '2026-04-01T00:00:00.000Z', ORDER),
        reason: 'no-route',
        message: `record ${SHARD}/1: no route for source 'shop'`,
        engine: 'orders',
      })
    ).id,
    (
      await store.put({
        record: record('2', '2026-04-02T00:00:00.000Z', Buffer.from('not json at all')),
        reason: 'bad-json',
        message: `record ${SHARD}/2: bad-json: Unexpected token`,
      })
    ).id,
    (
      await store.put({
        record: record('3', '2026-04-03T00:00:00.000Z', Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 0x00, 0x01])),
        reason: 'max-attempts',
        message: `record ${SHARD}/3: failed 5 times`,
        engine: 'orders',
        attempts: 5,
      })
    ).id,
  ];
});

function cli(...argv: string[]) {
  return runRouterCli(argv, { env: {} });
}

describe('router quarantine list', () => {
  it('prints a header and one row per entry, oldest first, with the count on stderr', async () => {
    // Act
    const result = await cli('quarantine', 'list');

    // Assess
    const lines = result.stdout.trimEnd().split('\n');
    expect(result.code).toBe(0);
    expect(lines[0]).toMatch(/^ID\s+REASON\s+ENGINE\s+ATTEMPTS\s+QUARANTINED\s+REDRIVEN$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      [ids[0], 'no-route', 'orders', '-', '2026-04-10T00:00:00.000Z', '-'],
      [ids[1], 'bad-json', '-', '-', '2026-04-10T00:00:00.000Z', '-'],
      [ids[2], 'max-attempts', 'orders', '5', '2026-04-10T00:00:00.000Z', '-'],
    ]);
    expect(result.stderr).toBe('3 quarantined records\n');
  });

  it('filters by engine, reason and arrival time, and says when --limit cut the list', async () => {
    // Act
    const [byEngine, byReason, since, limited] = await Promise.all([
      cli('quarantine', 'list', '--engine', 'orders'),
      cli('quarantine', 'list', '--reason', 'bad-json'),
      cli('quarantine', 'list', '--since', '2026-04-02T00:00:00Z', '--engine', 'orders'),
      cli('quarantine', 'list', '--limit', '2'),
    ]);
    const idsOf = (out: string) =>
      out
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(' ')[0]);

    // Assess
    expect(idsOf(byEngine.stdout)).toEqual([ids[0], ids[2]]);
    expect(idsOf(byReason.stdout)).toEqual([ids[1]]);
    expect(idsOf(since.stdout)).toEqual([ids[2]]);
    expect(limited.stderr).toBe('2 quarantined records (the first 2: raise --limit for more)\n');
  });

  it('refuses a --since that is not a time and a bad --limit with exit 2', async () => {
    // Act
    const [since, limit] = await Promise.all([
      cli('quarantine', 'list', '--since', 'last tuesday'),
      cli('quarantine', 'list', '--limit', '0'),
    ]);

    // Assess
    expect([since.code, limit.code]).toEqual([2, 2]);
    expect(since.stderr).toContain('--since last tuesday: not a time');
    expect(limit.stderr).toContain('--limit 0: expected a positive integer');
  });
});

describe('router quarantine show', () => {
  it('prints the entry with the record decoded as JSON', async () => {
    // Act
    const result = await cli('quarantine', 'show', ids[0] ?? '');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      id: ids[0],
      reason: 'no-route',
      message: `record ${SHARD}/1: no route for source 'shop'`,
      engine: 'orders',
      quarantinedAt: '2026-04-10T00:00:00.000Z',
      attempts: null,
      redrivenAt: null,
      objectKey: `quarantine/2026/04/01/${SHARD}/1.json`,
      record: {
        shardId: SHARD,
        sequenceNumber: '1',
        partitionKey: 'pk',
        arrivedAt: '2026-04-01T00:00:00.000Z',
      },
      bytes: ORDER.length,
      dataAs: 'json',
      data: { specversion: '1.0', id: 'o-1', source: 'shop', type: 'order' },
    });
  });

  it('shows text as text and binary as base64, with the attempts', async () => {
    // Act
    const [text, binary] = await Promise.all([
      cli('quarantine', 'show', ids[1] ?? ''),
      cli('quarantine', 'show', ids[2] ?? ''),
    ]);

    // Assess
    expect(JSON.parse(text.stdout)).toMatchObject({ dataAs: 'text', data: 'not json at all' });
    expect(JSON.parse(binary.stdout)).toMatchObject({ attempts: 5, dataAs: 'base64', data: '84mawgAB' });
  });

  it('names an unknown id (exit 1) and a malformed one (exit 2)', async () => {
    // Act
    const [unknown, malformed] = await Promise.all([
      cli('quarantine', 'show', `2020-01-01T00:00:00.000Z#${SHARD}#9`),
      cli('quarantine', 'show', 'orders:abc'),
    ]);

    // Assess
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no quarantined record 2020-01-01T00:00:00.000Z#${SHARD}#9`);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("'orders:abc' is not a quarantine id");
  });

  it('still shows the entry when its object has expired from the bucket', async () => {
    // Prepare: the index entry outlives the object (the bucket expires quarantine/ after 30 days)
    const expired: QuarantineStore = {
      put: (entry) => store.put(entry),
      list: (options) => store.list(options),
      markRedriven: (id, at) => store.markRedriven(id, at),
      get: async (id) => {
        const noSuchKey = Object.assign(new Error('The specified key does not exist.'), {
          name: 'NoSuchKey',
        });
        throw new StoreUnavailableError(`quarantine: reading ${id} failed`, { cause: noSuchKey });
      },
    };
    setQuarantineStoreFactory(() => expired);

    // Act
    const result = await cli('quarantine', 'show', ids[1] ?? '');

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: ids[1], reason: 'bad-json' });
    expect(JSON.parse(result.stdout)).not.toHaveProperty('data');
    expect(result.stderr).toContain('is gone from the bucket (quarantined records expire after 30 days)');
  });
});

describe('router quarantine redrive', () => {
  it('does not put a record back twice without --again', async () => {
    // Prepare
    await store.markRedriven(ids[0] ?? '', new Date('2026-04-11T00:00:00Z'));

    // Act
    const result = await cli('quarantine', 'redrive', ids[0] ?? '');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `router quarantine redrive: ${ids[0]} was already redriven at 2026-04-11T00:00:00.000Z; --again puts it back once more\n`,
    );
  });
});

describe('decodeRecordData', () => {
  it('keeps whitespace-only text as text and refuses invalid UTF-8 as text', () => {
    // Act / Assess
    expect(decodeRecordData(Buffer.from('a\tb\r\n').toString('base64'))).toEqual({
      as: 'text',
      data: 'a\tb\r\n',
    });
    expect(decodeRecordData(Buffer.from([0xc3, 0x28]).toString('base64'))).toEqual({
      as: 'base64',
      data: 'wyg=',
    });
  });
});
