/**
 * Activities (`arn:aws:states:REGION:ACCOUNT:activity:NAME`): the Task hands a task token and its input to
 * a queue and waits, as a callback task does; a worker takes the oldest waiting task (`router activity
 * poll NAME`) and answers it with `router task success | failure | heartbeat TOKEN`, which puts the
 * answer on the stream like any callback. The queue only carries work to workers: the execution's own
 * state (timeout, heartbeat, the token it waits for) stays in its checkpoint, so a task whose execution
 * gave up is recognised and dropped when polled.
 */
import type { JsonValue } from '../asl/index.ts';

/** One activity task waiting for a worker. */
export interface ActivityTask {
  /** The Task's resource, `arn:aws:states:REGION:ACCOUNT:activity:NAME`. */
  readonly activityArn: string;
  /** The activity's name (the ARN's last part): workers poll by it. */
  readonly activity: string;
  readonly taskToken: string;
  readonly input: JsonValue;
  /** The invoke it answers: the same invoke queued twice (a replayed step) is one task. */
  readonly invokeId: string;
  readonly stateName: string;
}

/** A task a worker took, with when it was queued (epoch ms). */
export interface TakenActivityTask extends ActivityTask {
  readonly enqueuedAt: number;
}

/** Where activity tasks wait; both stores keep one task per token. */
export interface ActivityQueue {
  /** Queues a task; queuing the same token again changes nothing. */
  enqueue(task: ActivityTask): Promise<void>;
  /**
   * Takes the oldest task of an activity, removing it so no other worker gets it, or undefined when none
   * waits. `stillWaited` drops tasks whose execution no longer waits for them.
   */
  take(
    activity: string,
    stillWaited?: (task: TakenActivityTask) => Promise<boolean>,
  ): Promise<TakenActivityTask | undefined>;
}

/** An in-process queue: for the engine test runner and unit tests. */
export class MemoryActivityQueue implements ActivityQueue {
  private readonly tasks = new Map<string, TakenActivityTask>();

  constructor(private readonly now: () => number = Date.now) {}

  async enqueue(task: ActivityTask): Promise<void> {
    if (!this.tasks.has(task.taskToken)) this.tasks.set(task.taskToken, { ...task, enqueuedAt: this.now() });
  }

  async take(
    activity: string,
    stillWaited?: (task: TakenActivityTask) => Promise<boolean>,
  ): Promise<TakenActivityTask | undefined> {
    const waiting = [...this.tasks.values()]
      .filter((task) => task.activity === activity)
      .sort((a, b) => a.enqueuedAt - b.enqueuedAt);
    for (const task of waiting) {
      this.tasks.delete(task.taskToken);
      if (stillWaited === undefined || (await stillWaited(task))) return task;
    }
    return undefined;
  }
}
