/**
 * The public state machines of `test/fixtures/statemachines/`: how many this runtime accepts unchanged
 * (with their templates' placeholder values and every resource allowed), and that each accepted one runs
 * to an end with every Task answered by a stand-in. The share is in the test's name; the test fails when
 * it drops below the floor, and `docs/integrations.md` lists what is still refused and why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileGraph,
  type EngineGraph,
  formatProblems,
  type InvokeEffect,
  type InvokeOutcome,
  isJsonObject,
  isLambdaInvoke,
  loadGraph,
  parseTaskResource,
  runExecution,
  VirtualClock,
} from '../../../router/asl/index.ts';

const ROOT = join(import.meta.dirname, '../../fixtures/statemachines');
const VARIABLES = JSON.parse(readFileSync(join(ROOT, 'variables.json'), 'utf8')) as Record<string, string>;
/** Accepted now: 51 of 53 (the two refused use distributed Map). Raise it as the runtime grows. */
const FLOOR = 51;

interface Loaded {
  readonly file: string;
  readonly graph?: EngineGraph;
  readonly problems: string;
}

const corpus: Loaded[] = readdirSync(join(ROOT, 'workflows-collection'))
  .filter((file) => file.endsWith('.asl.json'))
  .sort()
  .map((file) => {
    const source = readFileSync(join(ROOT, 'workflows-collection', file), 'utf8');
    const loaded = loadGraph(source, { file, variables: VARIABLES, allowlist: ['*'] });
    return {
      file,
      ...(loaded.graph === undefined ? {} : { graph: loaded.graph }),
      problems: formatProblems(loaded.problems),
    };
  });
const accepted = corpus.filter((one) => one.graph !== undefined);
const share = `${accepted.length} of ${corpus.length} (${Math.round((100 * accepted.length) / corpus.length)}%)`;

/**
 * Answers every Task at once, the way each integration shapes its result: `lambda:invoke` wraps the
 * payload in `Payload`, everything else echoes its Parameters; a callback or activity is answered as if
 * its worker had sent the input back.
 */
async function standIn(effect: InvokeEffect): Promise<InvokeOutcome> {
  const resource = parseTaskResource(effect.resource);
  const params = isJsonObject(effect.input) ? effect.input : {};
  if (isLambdaInvoke(resource))
    return { ok: true, output: { Payload: params.Payload ?? {}, StatusCode: 200 } };
  return { ok: true, output: effect.input };
}

describe('public state machines', () => {
  it(`accepts ${share} unchanged`, () => {
    const refused = corpus.filter((one) => one.graph === undefined);
    expect(refused.map((one) => one.file)).toEqual([
      'eventbridge-rules-to-schedules.asl.json',
      'ingest-and-analyze-historical-storm-events.asl.json',
    ]);
    expect(refused.every((one) => one.problems.includes('distributed Map'))).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(FLOOR);
  });

  it.each(accepted.map((one) => [one.file, one.graph] as const))(
    '%s runs to an end',
    async (_file, graph) => {
      // Prepare
      const compiled = compileGraph(graph as EngineGraph, {
        taskTokenSecret: 'corpus',
        maxTransitions: 2_000,
      });
      const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00.000Z'));

      // Act
      const result = await runExecution(
        compiled,
        { executionId: 'corpus-1', input: { detail: {}, Payload: {} }, startTime: clock.now() },
        { invoke: standIn, clock, maxInProcessWaitMs: 3_600_000 },
      );

      // Assess: the graph ran through its states to SUCCEEDED or to a failure it reached by its own rules.
      expect(['SUCCEEDED', 'FAILED']).toContain(result.status);
      if (process.env.CORPUS_REPORT)
        console.log(
          `${_file}: ${result.status} ${'error' in result ? result.error : ''} ${'cause' in result ? result.cause : ''}`,
        );
      expect(result.history.some((event) => event.type.endsWith('StateEntered'))).toBe(true);
    },
  );
});
