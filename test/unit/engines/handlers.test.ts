import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { repetitionsOf } from '../../../handlers/batch-average/retrieve-run-id.ts';
import { handler as redshiftSelect } from '../../../handlers/demo-flows/tasks/redshift-select.ts';
import { handler as enrich } from '../../../handlers/event-engine/enrich-customer.ts';
import { handler as score } from '../../../handlers/event-engine/score-risk.ts';
import { handler as validateOrder } from '../../../handlers/event-engine/validate-order.ts';
import { flowTypeOf, planRun, SoldYearMissing, UnknownFlowType } from '../../../handlers/flow-types/flow.ts';
import { parseCsv } from '../../../handlers/flow-types/sources/csv.ts';
import { listingsOfCsv } from '../../../handlers/flow-types/sources/sftpCsv.ts';
import { idempotencyKeyOf } from '../../../handlers/shared/effects.ts';
import { literal } from '../../../handlers/shared/sql.ts';
import { ListingStore, listingsCsv, sampleListings } from '../../../localstack/sources/index.ts';
import { answer } from '../../../localstack/sources/ListingApi.ts';

const AS_OF = '2026-01-15T08:00:00.000Z';

describe('flow-types plans (seed 000)', () => {
  const row = (params: unknown, runtimeCount = 3, watermark: string | null = '2026-01-10T06:00:00.000Z') => ({
    id: 'src-7',
    batch_execution_params: params,
    runtime_count: runtimeCount,
    last_watermark: watermark,
  });

  it.each([
    [{ flow_type: 'Normal' }, { flow: 'NORMAL', from: '2026-01-10T06:00:00.000Z' }],
    [{ type: 'NORMAL' }, { flow: 'NORMAL', from: '2026-01-10T06:00:00.000Z' }],
    [
      { type: 'Re-specs', Sql: 'UPDATE public.listing SET city = upper(city)' },
      {
        flow: 'RE-SPECS',
        from: '1990-01-01T00:00:00.000Z',
        attributes_sql: 'UPDATE public.listing SET city = upper(city)',
      },
    ],
    [{ type: 'Full Load' }, { flow: 'FULL_LOAD', from: '2025-12-16T08:00:00.000Z' }],
    [
      { type: 'FULL_LOAD', days: 2 },
      { flow: 'FULL_LOAD', from: '2026-01-13T08:00:00.000Z' },
    ],
    [
      { type: 'Sold', year: 2021 },
      { flow: 'SOLD', date_field: 'sold_date', from: '2021-01-01T00:00:00.000Z' },
    ],
  ])('batch_execution_params %j plans %j up to the run start', (params, expected) => {
    // Act
    const plan = planRun(row(params), AS_OF, 30);

    // Assess
    expect(plan).toEqual({ date_field: 'last_modified_date', to: AS_OF, ...expected });
  });

  it('turns the first run of a NORMAL source into a Backdated Full Load and says so', () => {
    // Act
    const first = planRun(row({ flow_type: 'Normal' }, 0, null), AS_OF, 30);
    const noWatermark = planRun(row({ flow_type: 'Normal' }, 2, null), AS_OF, 30);

    // Assess
    expect(first).toEqual({
      flow: 'FULL_LOAD',
      date_field: 'last_modified_date',
      from: '2025-12-16T08:00:00.000Z',
      to: AS_OF,
      write_params: { type: 'Full Load' },
    });
    expect(noWatermark).toMatchObject({ flow: 'NORMAL', from: '1970-01-01T00:00:00.000Z' });
  });

  it('refuses a Sold flow without a year, a Re-specs flow without Sql and an unknown flow, naming the source', () => {
    // Act / Assess
    expect(() => planRun(row({ type: 'Sold' }), AS_OF, 30)).toThrow(SoldYearMissing);
    expect(() => planRun(row({ type: 'Sold' }), AS_OF, 30)).toThrow(
      "source 'src-7': the Sold flow needs the year it starts from",
    );
    expect(() => planRun(row({ type: 'Re-specs' }), AS_OF, 30)).toThrow(
      "source 'src-7': the Re-specs flow needs its attributes update query in batch_execution_params.Sql",
    );
    expect(() => flowTypeOf({ type: 'Weekly' }, 'src-7')).toThrow(UnknownFlowType);
  });
});

describe('flow-types source formats (seed 000)', () => {
  it('reads the SFTP CSV export, quoted fields included, and names the file and row of a bad value', () => {
    // Prepare
    const upstream = sampleListings(new Date(AS_OF), 'S').slice(2, 4);

    // Act
    const listings = listingsOfCsv(listingsCsv(upstream), 'exports/a.csv');

    // Assess
    expect(listings).toEqual([
      {
        listing_id: 'S-3',
        address: '77 Main St',
        city: 'Dublin',
        price: 510_000,
        property_type: 'house',
        last_modified: '2025-12-01T08:00:00.000Z',
        sold_date: '2021-03-15',
      },
      {
        listing_id: 'S-4',
        address: '3 "The Elms"',
        city: 'Limerick',
        price: 198_000,
        property_type: 'bungalow',
        last_modified: '2025-06-29T08:00:00.000Z',
        sold_date: '2019-11-30',
      },
    ]);
    expect(() =>
      listingsOfCsv(
        'listing_id,street,city,price,property_type,modified_at,sold_date\nS-1,a,b,cheap,house,2026-01-01 00:00:00,\n',
        'exports/b.csv',
      ),
    ).toThrow('exports/b.csv: row 2: price "cheap" is not a number');
    expect(() => parseCsv('a,"open\n', 'exports/c.csv')).toThrow(
      'exports/c.csv: line 1: a quoted field is never closed',
    );
  });

  it('pages the listing API by cursor and filters by the window', () => {
    // Prepare
    const store = new ListingStore(sampleListings(new Date(AS_OF), 'H'));
    const url = (query: string) => new URL(`http://api/v1/listings?${query}`);

    // Act
    const first = answer(
      store,
      url('sold_from=2021-01-01T00:00:00Z&sold_to=2026-01-15T00:00:00Z&limit=2'),
      100,
    );
    const cursor = (first.body as { next_cursor: string }).next_cursor;
    const second = answer(
      store,
      url(`sold_from=2021-01-01T00:00:00Z&sold_to=2026-01-15T00:00:00Z&limit=2&cursor=${cursor}`),
      100,
    );
    const bad = answer(store, url('modified_from=yesterday'), 100);

    // Assess
    const ids = (page: { body: unknown }) =>
      (page.body as { listings: { id: string }[] }).listings.map((l) => l.id);
    expect([ids(first), ids(second)]).toEqual([['H-2', 'H-3'], ['H-6']]);
    expect((second.body as { next_cursor: unknown }).next_cursor).toBeNull();
    expect(bad.status).toBe(400);
  });
});

describe('batch-average and event-engine steps', () => {
  it('accepts only a whole number of repetitions', () => {
    // Act / Assess
    expect(repetitionsOf({ repetitions: 3 })).toBe(3);
    expect(() => repetitionsOf({ repetitions: 2.5 })).toThrow(
      "batch-average-retrieve-run-id: input field 'repetitions' must be a whole number from 1 to 1000, got 2.5",
    );
    expect(() => repetitionsOf({})).toThrow('got null');
  });

  it('rejects an order without a positive amount with a named error', async () => {
    // Act
    const rejected = validateOrder({ orderId: 'o-1', amount: 0 });

    // Assess
    await expect(rejected).rejects.toMatchObject({ name: 'EventEngine.InvalidOrder' });
    await expect(validateOrder({ orderId: 'o-1', amount: 5 })).resolves.toEqual({
      valid: true,
      orderId: 'o-1',
    });
    await expect(validateOrder({ amount: 5 })).rejects.toThrow(
      "payload field 'orderId' must be a non-empty string",
    );
  });

  it('derives the tier and the score deterministically', async () => {
    // Act
    const tiers = await Promise.all([
      enrich({ orderId: 'o', customerId: 'c-9' }),
      enrich({ orderId: 'o', customerId: 'c-9' }),
    ]);

    // Assess
    expect(tiers[0]).toEqual(tiers[1]);
    expect(['bronze', 'silver', 'gold']).toContain(tiers[0].tier);
    await expect(score({ orderId: 'o', amount: 100 })).resolves.toEqual({ score: 50, review: false });
    await expect(score({ orderId: 'o', amount: 1_000_000 })).resolves.toEqual({ score: 100, review: true });
  });
});

describe('shared step helpers', () => {
  const context = (custom?: Record<string, string>): Pick<Context, 'clientContext'> =>
    custom === undefined ? {} : { clientContext: { client: {} as never, env: {} as never, custom } };

  it('takes the idempotency key from the client context, else from the payload', () => {
    // Act / Assess
    expect(idempotencyKeyOf({ idempotencyKey: 'p' }, context({ idempotencyKey: 'exec:State#1' }), 's')).toBe(
      'exec:State#1',
    );
    expect(idempotencyKeyOf({ idempotencyKey: 'p' }, context(), 's')).toBe('p');
    expect(() => idempotencyKeyOf({}, context({ state: 'x' }), 'step-x')).toThrow(
      "step 'step-x': no idempotency key",
    );
  });

  it('writes SQL literals that no value can break out of', () => {
    // Act / Assess
    expect(literal("O'Brien'); DROP TABLE x; --")).toBe("'O''Brien''); DROP TABLE x; --'");
    expect(literal(2.5)).toBe('2.5');
    expect(literal(null)).toBe('NULL');
    expect(() => literal(Number.NaN)).toThrow('cannot write NaN as a SQL number');
    expect(() => literal('a\u0000b')).toThrow('NUL');
  });

  it('lets the redshift-select task run nothing but one query', async () => {
    // Act / Assess
    await expect(redshiftSelect({ sql: 'delete from demo_imports' })).rejects.toThrow(
      "demo-redshift-select: input field 'sql' must be one SELECT (or WITH ... SELECT) query",
    );
    await expect(redshiftSelect({ sql: 'select 1; drop table x' })).rejects.toThrow('must be one SELECT');
    await expect(redshiftSelect({ sql: 'select 1', parameters: { n: [1] } })).rejects.toThrow(
      "parameter 'n' must be a string or a number",
    );
  });
});
