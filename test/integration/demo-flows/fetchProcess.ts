/**
 * Runs the SFTP fetch task once in a process of its own and prints how its memory grew, so the test reads
 * the task's footprint and not the test runner's. A small warm-up fetch loads every module first (SDK,
 * ssh2, crypto); the measured run then starts from that baseline.
 *
 * Peak: the kernel's `maxRSS` when the run raised it, else the highest RSS sampled every 5 ms during the
 * run (the process peaked earlier, while loading, and `maxRSS` cannot see below that).
 *
 * Argument: JSON `{ warmUp: { path, bucket, key }, run: { path, bucket, key } }`; output: one JSON line.
 */
import { handler } from '../../../handlers/demo-flows/tasks/fetch-sftp-file.ts';

const MiB = 1024 * 1024;
const job = JSON.parse(process.argv[2] ?? '{}') as { warmUp: unknown; run: unknown };
await handler(job.warmUp);
const baseline = process.memoryUsage().rss;
const maxBefore = process.resourceUsage().maxRSS * 1024;
let sampled = baseline;
const sampler = setInterval(() => {
  sampled = Math.max(sampled, process.memoryUsage().rss);
}, 5);
const started = performance.now();
const result = await handler(job.run);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
const maxAfter = process.resourceUsage().maxRSS * 1024;
const peak = maxAfter > maxBefore ? maxAfter : Math.max(sampled, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({ result, seconds, baselineMiB: baseline / MiB, peakMiB: peak / MiB, growthMiB: (peak - baseline) / MiB })}\n`,
);
