import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { repetitionsOf } from '../../../handlers/batch-average/retrieve-run-id.ts';
import { handler as redshiftSelect } from '../../../handlers/demo-flows/tasks/redshift-select.ts';
import { handler as enrich } from '../../../handlers/event-engine/enrich-customer.ts';
import { handler as score } from '../../../handlers/event-engine/score-risk.ts';
import { handler as validateOrder } from '../../../handlers/event-engine/validate-order.ts';
import { filtersFor, flowConfigOf } from '../../../handlers/flow-types/flow.ts';
import { handler as validateSource } from '../../../handlers/flow-types/validate-source.ts';
import { idempotencyKeyOf } from '../../../handlers/shared/effects.ts';
import { literal } from '../../../handlers/shared/sql.ts';

const AS_OF = '2026-01-15T08:00:00.000Z';

describe('flow-types steps (seed 000)', () => {
  it.each([
    [
      { type: 'NORMAL', date_field: 'last_modified_date' },
      '2026-01-10',
      { from: '2026-01-10', to: '2026-01-15' },
    ],
    [{ type: 'NORMAL', date_field: 'last_modified_date' }, undefined, { from: '1970-01-01' }],
    [
      { type: 'RE-SPECS', date_field: 'last_modified_date', start: '1990-01-01', attributes_sql: 'update a' },
      '2026-01-10',
      { from: '1990-01-01', attributes_sql: 'update a' },
    ],
    [
      { type: 'FULL_LOAD', date_field: 'last_modified_date', backdate_days: 30 },
      undefined,
      { from: '2025-12-16' },
    ],
    [
      { type: 'SOLD', date_field: 'sold_date', start: '2021-01-01' },
      undefined,
      { date_field: 'sold_date', from: '2021-01-01' },
    ],
  ])('%j with watermark %s filters %j', (flow, watermark, expected) => {
    // Act
    const filters = filtersFor(flowConfigOf(flow, 'test'), AS_OF, watermark);

    // Assess
    expect(filters).toMatchObject({ type: flow.type, to: '2026-01-15', ...expected });
  });

  it('switches a NORMAL run to the Backdated flow on the first run of a source', async () => {
    // Act
    const first = await validateSource({
      source_id: 's',
      flow: { type: 'NORMAL', date_field: 'last_modified_date' },
      runtime_count: 1,
      last_modified_watermark: null,
      as_of: AS_OF,
    });
    const later = await validateSource({
      source_id: 's',
      flow: { type: 'NORMAL', date_field: 'last_modified_date' },
      runtime_count: 2,
      last_modified_watermark: '2026-01-14T23:00:00Z',
      as_of: AS_OF,
    });

    // Assess
    expect(first).toEqual({
      source_id: 's',
      type: 'FULL_LOAD',
      date_field: 'last_modified_date',
      from: '2025-12-16',
      to: '2026-01-15',
    });
    expect(later).toMatchObject({ type: 'NORMAL', from: '2026-01-14' });
  });

  it('names the bad field', async () => {
    // Act / Assess
    expect(() => flowConfigOf({ type: 'WEEKLY', date_field: 'x' }, 'step')).toThrow(
      'step: flow.type must be one of NORMAL, RE-SPECS, FULL_LOAD, SOLD, got "WEEKLY"',
    );
    await expect(
      validateSource({
        source_id: 's',
        flow: { type: 'SOLD', date_field: 'sold_date' },
        runtime_count: -1,
        as_of: AS_OF,
      }),
    ).rejects.toThrow("flow-types-validate-source: input field 'runtime_count' must be a whole number");
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
