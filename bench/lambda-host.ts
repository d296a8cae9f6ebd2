/**
 * Lambda host figures: RequestResponse invokes per second through the edge with the real SDK client
 * (small payload, fixed concurrency), and latency percentiles. The router's step invocations run
 * through this path locally, so it bounds how fast a local end-to-end run can go. Run alone with
 * `node --openssl-legacy-provider --import tsx bench/lambda-host.ts`.
 */
import { pathToFileURL } from 'node:url';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { createLambdaHost } from '../localstack/lambda/index.ts';
import { startLocalStack } from '../localstack/stack.ts';
import { lambdaClient } from '../router/aws/index.ts';

const INVOKES = 2_000;
const CONCURRENCY = 16;
const WARM_UP = 100;

/** Runs the benchmark on a private stack and returns its figures (rates per second, latencies in ms). */
export async function benchLambdaHost(): Promise<Record<string, number>> {
  const host = createLambdaHost({
    functions: { echo: async (event) => event },
    concurrencyLimit: CONCURRENCY,
  });
  const stack = await startLocalStack({ port: 0, services: [host] });
  try {
    const lambda = lambdaClient(stack.aws);
    const payload = JSON.stringify({ specversion: '1.0', id: 'bench', source: 'bench', type: 'bench.echo' });
    const invoke = async (): Promise<number> => {
      const started = performance.now();
      const output = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: payload }));
      if (output.StatusCode !== 200 || output.FunctionError !== undefined) {
        throw new Error(
          `bench invoke failed: status ${output.StatusCode}, function error ${output.FunctionError}`,
        );
      }
      return performance.now() - started;
    };
    for (let i = 0; i < WARM_UP; i++) await invoke();

    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < INVOKES) {
          next += 1;
          latencies.push(await invoke());
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const percentile = (p: number): number =>
      round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
    return {
      'lambdaHost.invokes': latencies.length,
      'lambdaHost.concurrency': CONCURRENCY,
      'lambdaHost.invokesPerSecond': Math.round(latencies.length / seconds),
      'lambdaHost.p50Ms': percentile(0.5),
      'lambdaHost.p99Ms': percentile(0.99),
    };
  } finally {
    await stack.stop();
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchLambdaHost(), null, 2));
}
