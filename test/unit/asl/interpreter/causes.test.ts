import { describe, expect, it } from 'vitest';
import type { JsonValue, State, StateMachine } from '../../../../router/asl/types.ts';
import { drive, echo, graphOf, roundTrip, task } from './helpers.ts';

const end: State = { Type: 'Pass', End: true };
const only = (name: string, state: State): StateMachine => ({ StartAt: name, States: { [name]: state } });

/** Runs a graph whose invokes echo their input, and returns how it ended. */
function failure(states: Record<string, State>, input: JsonValue): [string | undefined, string | undefined] {
  const run = drive(graphOf(Object.keys(states)[0] as string, states), input, echo);
  return [run.state.error, run.state.cause];
}

describe('the cause of a path that finds nothing', () => {
  it('names the state, its Map item and the field, and shows the context object a $$ path read', () => {
    // Prepare
    const states: Record<string, State> = {
      Orders: {
        Type: 'Map',
        ItemsPath: '$.orders',
        ItemSelector: { 'customer.$': '$$.Map.Item.Value.customer' },
        ItemProcessor: only('Charge', task('charge')),
        End: true,
      },
    };
    const orders = [{ id: 1, customer: 'a' }, { id: 2, customer: 'b' }, { id: 3, customer: 'c' }, { id: 4 }];

    // Act
    const [error, cause] = failure(states, { orders });

    // Assess
    expect(error).toBe('States.Runtime');
    expect(cause).toBe(
      "Map state 'Orders' (item 3): ItemSelector field 'customer.$': path '$$.Map.Item.Value.customer' found " +
        "nothing in the context object (field 'customer' is missing): " +
        '{"Execution":{"Id":"exec-1","Input":{…},"Name":"exec-1","RoleArn":"",' +
        '"StartTime":"2026-01-01T00:00:00.000Z","RedriveCount":0},' +
        '"State":{"Name":"Orders","EnteredTime":"2026-01-01T00:00:00.000Z","RetryCount":0},' +
        '"StateMachine":{"Id":"engine","Name":"engine"},"Map":{"Item":{"Index":3,"Value":{"id":4}}}}',
    );
  });

  it('names the Map item a state inside the item processor runs for', () => {
    // Prepare
    const states: Record<string, State> = {
      Orders: {
        Type: 'Map',
        ItemsPath: '$.orders',
        ItemProcessor: only(
          'Charge',
          task('charge', { Parameters: { 'customer.$': '$$.Map.Item.Value.customer' } }),
        ),
        End: true,
      },
    };

    // Act
    const [error, cause] = failure(states, { orders: [{ id: 1 }] });

    // Assess
    expect(error).toBe('States.Runtime');
    expect(cause).toMatch(
      /^Task state 'Charge' \(in Map state 'Orders' item 0\): Parameters field 'customer\.\$': path '\$\$\.Map\.Item\.Value\.customer' found nothing in the context object \(field 'Map' is missing\): \{"Execution":/,
    );
    expect(cause).not.toContain('"orders":[{"id":1}]}:');
  });

  it('shows the state input a $ path read, for every field that holds a path', () => {
    const input = { customer: 'c', items: [1, 2, 3] };
    const shown = '{"customer":"c","items":[1,2,3]}';
    const cases: [Record<string, State>, string][] = [
      [
        { P: { Type: 'Pass', InputPath: '$.order.id', End: true } },
        `Pass state 'P': InputPath: path '$.order.id' found nothing in the state input (field 'order' is missing): ${shown}`,
      ],
      [
        { P: { Type: 'Pass', Parameters: { 'hi.$': "States.Format('hi {}', $.name)" }, End: true } },
        `Pass state 'P': Parameters field 'hi.$': path '$.name' found nothing in the state input (field 'name' is missing): ${shown}`,
      ],
      [
        {
          R: {
            Type: 'Choice',
            Choices: [{ Variable: '$.kind', StringEquals: 'a', Next: 'D' }],
            Default: 'D',
          },
          D: end,
        },
        `Choice state 'R': Choices[0] field 'Variable': path '$.kind' found nothing in the state input (field 'kind' is missing): ${shown}`,
      ],
      [
        { W: { Type: 'Wait', InputPath: '$.items', SecondsPath: '$[5]', End: true } },
        "Wait state 'W': SecondsPath: path '$[5]' found nothing in the state input after InputPath (index 5 is out of range (length 3)): [1,2,3]",
      ],
      [
        { T: task('t', { ResultSelector: { 'id.$': '$.Payload.id' } }) },
        `Task state 'T': ResultSelector field 'id.$': path '$.Payload.id' found nothing in the result (field 'Payload' is missing): ${shown}`,
      ],
      [
        { S: { Type: 'Succeed', OutputPath: '$.items[3]' } },
        `Succeed state 'S': OutputPath: path '$.items[3]' found nothing in the state output before OutputPath (index 3 is out of range (length 3)): ${shown}`,
      ],
    ];

    for (const [states, cause] of cases) {
      expect(failure(states, input)).toEqual(['States.Runtime', cause]);
    }
  });

  it('names every Parallel branch and Map item around the state, outermost first', () => {
    // Prepare
    const inner = only('X', { Type: 'Pass', OutputPath: '$.missing', End: true });
    const states: Record<string, State> = {
      Fan: {
        Type: 'Parallel',
        Branches: [
          only('A', end),
          only('Each', { Type: 'Map', ItemsPath: '$.xs', ItemProcessor: inner, End: true }),
        ],
        End: true,
      },
    };

    // Act
    const [, cause] = failure(states, { xs: [{ a: 1 }] });

    // Assess
    expect(cause).toMatch(
      /^Pass state 'X' \(in Parallel state 'Fan' branch 1 > Map state 'Each' item 0\): OutputPath:/,
    );
  });

  it('names the Map item of a thread found again after a checkpoint', () => {
    // Prepare
    const processor: StateMachine = {
      StartAt: 'Call',
      States: {
        Call: task('call', { Next: 'Pick' }),
        Pick: { Type: 'Pass', InputPath: '$.absent', End: true },
      },
    };
    const graph = graphOf('M', {
      M: { Type: 'Map', ItemsPath: '$.xs', ItemProcessor: processor, End: true },
    });
    const waiting = drive(graph, { xs: [1, 2] }, () => undefined);

    // Act
    const resumed = drive(graph, null, (effect) => ({ ok: true, output: { n: effect.input } }), {
      state: roundTrip(waiting.state),
    });

    // Assess
    expect(resumed.state.cause).toBe(
      "Pass state 'Pick' (in Map state 'M' item 0): InputPath: path '$.absent' found nothing in the state input (field 'absent' is missing): {\"n\":1}",
    );
  });

  it('cuts a large value to a readable length and keeps the way to where the path stopped', () => {
    // Prepare
    const input = {
      note: 'n'.repeat(5_000),
      list: Array.from({ length: 500 }, (_, i) => ({ i, text: 't'.repeat(300) })),
      deep: { a: { b: { c: { d: { e: 1 } } } } },
      order: { lines: Array.from({ length: 40 }, (_, i) => ({ sku: `s${i}` })) },
    };
    const states: Record<string, State> = {
      P: { Type: 'Pass', InputPath: '$.order.lines[30].price', End: true },
    };

    // Act
    const [, cause] = failure(states, input);

    // Assess
    const shown = (cause ?? '').slice((cause ?? '').indexOf('): ') + 3);
    expect(cause).toContain("(field 'price' is missing)");
    expect(shown.length).toBeLessThanOrEqual(1_000);
    expect(shown).toContain(`"note":"${'n'.repeat(100)}…"`);
    expect(shown).toContain(`"list":[${'{…},'.repeat(10)}…490 more]`);
    expect(shown).toContain('"deep":{"a":{…}}');
    expect(shown).toContain('…20 more,{"sku":"s30"},…9 more]');
  });

  it('leaves the cause of an error a Catch can see as it was', () => {
    // Prepare
    const states: Record<string, State> = {
      T: task('t', {
        ResultPath: '$.items.x',
        Catch: [{ ErrorEquals: ['States.ResultPathMatchFailure'], ResultPath: '$.caught', Next: 'D' }],
      }),
      D: end,
    };

    // Act
    const run = drive(graphOf('T', states), { items: [1] }, echo);

    // Assess
    const output = run.state.output as { caught: { Error: string; Cause: string } };
    expect(output.caught.Error).toBe('States.ResultPathMatchFailure');
    expect(output.caught.Cause).toMatch(/^Unable to apply ResultPath '\$\.items\.x' to the input/);
  });
});
