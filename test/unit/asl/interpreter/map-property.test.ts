import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  type Effect,
  type InvokeEffect,
  startExecution,
} from '../../../../router/asl/interpreter/index.ts';
import { graphOf, roundTrip, T0, task } from './helpers.ts';

describe('Map under any completion order', () => {
  it('keeps item order, never exceeds MaxConcurrency, gives unique keys, and survives checkpoints', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (items, maxConcurrency, picks, saves) => {
          // Prepare
          const graph = graphOf('Each', {
            Each: {
              Type: 'Map',
              MaxConcurrency: maxConcurrency,
              ItemProcessor: { StartAt: 'Double', States: { Double: task('double') } },
              End: true,
            },
          });
          const inFlight: InvokeEffect[] = [];
          const keys = new Set<string>();
          const take = (effects: readonly Effect[]): void => {
            for (const effect of effects) {
              if (effect.type === 'invoke') {
                expect(keys.has(effect.idempotencyKey)).toBe(false);
                keys.add(effect.idempotencyKey);
                inFlight.push(effect);
              }
            }
            if (maxConcurrency > 0) expect(inFlight.length).toBeLessThanOrEqual(maxConcurrency);
          };
          const first = startExecution(graph, { executionId: 'prop', input: items, startTime: T0 }, T0);
          let state = first.state;
          take(first.effects);

          // Act: answer in-flight invokes in an arbitrary order, sometimes through a JSON checkpoint.
          for (let step = 0; inFlight.length > 0; step++) {
            const [effect] = inFlight.splice((picks[step % picks.length] ?? 0) % inFlight.length, 1);
            if (effect === undefined) break;
            if (saves[step % saves.length] === true) state = roundTrip(state);
            const next = applyEvent(
              graph,
              state,
              { type: 'TaskSucceeded', id: effect.id, output: (effect.input as number) * 2 },
              T0 + step,
            );
            state = next.state;
            take(next.effects);
          }

          // Assess
          expect(state.status).toBe('SUCCEEDED');
          expect(state.output).toEqual(items.map((n) => n * 2));
          expect(keys.size).toBe(items.length);
          expect(state.pending).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
