/** Stream: per shard, the consumer's checkpoint, the iterator age, records per second and retried batches. */
import type { StreamView } from '../../types.ts';
import { get } from '../api.ts';
import { duration, h, table } from '../dom.ts';

/** The Stream page, refreshed every few seconds. */
export async function streamPage(main: HTMLElement): Promise<() => void> {
  const draw = async (): Promise<void> => {
    const view = await get<StreamView>('stream');
    const rows = view.shards.map((s) =>
      h(
        'tr',
        { 'data-testid': 'shard-row' },
        h('td', { class: 'mono' }, s.shardId),
        h('td', { class: 'mono' }, s.checkpoint === undefined ? '(none)' : `…${s.checkpoint.slice(-12)}`),
        h('td', {}, s.checkpointAt ?? ''),
        h('td', {}, s.iteratorAgeMs === undefined ? '' : duration(s.iteratorAgeMs)),
        h('td', {}, s.recordsPerSecond === undefined ? '-' : s.recordsPerSecond.toFixed(1)),
        h('td', {}, s.batches === undefined ? '-' : String(s.batches)),
        h('td', {}, s.batchesRetried === undefined ? '-' : String(s.batchesRetried)),
      ),
    );
    main.replaceChildren(
      h('h2', {}, `Stream ${view.stream}`),
      table(
        ['Shard', 'Checkpoint', 'Checkpointed at', 'Iterator age', 'Records/s', 'Batches', 'Batches retried'],
        rows,
        'shards',
      ),
      h('p', { class: 'muted' }, view.activity),
    );
  };
  await draw();
  const timer = setInterval(() => void draw(), 3000);
  return () => clearInterval(timer);
}
