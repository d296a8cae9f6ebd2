/**
 * Group commit: single-item writes issued by many concurrent executions leave as a few bulk requests.
 * Each caller still awaits its own item's outcome, so the code that writes one record stays as it is.
 * The items of one turn of the event loop leave together; a full request leaves at once. While a
 * request is in flight, the next items wait as long as more keep arriving (a busy router's executions
 * finishing one after another), and leave as soon as a turn brings none, when it returns, or when a
 * full request has gathered.
 */

/** How one bulk write is made: the outcome of each item, in order, or a rejection for all of them. */
export type BulkWrite<Item, Outcome> = (items: readonly Item[]) => Promise<readonly Outcome[]>;

/** The limits of one store's bulk write. */
export interface GroupCommitLimits {
  /** Most items in one request (25 for DynamoDB's batch writes). */
  readonly batch: number;
  /** Most requests in flight at once; only full requests leave beside another. */
  readonly parallel: number;
}

interface Waiting<Item, Outcome> {
  readonly item: Item;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (error: unknown) => void;
}

/** Gathers concurrent single-item writes into bulk requests (see the module comment). */
export class GroupCommit<Item, Outcome> {
  private queue: Waiting<Item, Outcome>[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** An item came since the last check: more may be on their way. */
  private arrived = false;

  constructor(
    private readonly write: BulkWrite<Item, Outcome>,
    private readonly limits: GroupCommitLimits,
  ) {}

  /** Writes `item` with whatever else is waiting; settles with its own outcome or its request's failure. */
  submit(item: Item): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.arrived = true;
      this.sendWhile(false);
      this.schedule();
    });
  }

  /** Checks the queue after this turn of the event loop: the items submitted in it leave together. */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.check());
  }

  /**
   * Sends what waits when nothing is in flight, or beside a request in flight once a whole turn passed
   * with no new item: the executions that could add to it are all waiting on something else, so holding
   * the items back would only add a round trip to their latency.
   */
  private check(): void {
    this.scheduled = false;
    if (this.inFlight > 0 && this.arrived) {
      this.arrived = false;
      this.schedule();
      return;
    }
    this.arrived = false;
    this.sendWhile(true);
  }

  /** Sends full requests (and, when `partial`, the rest) up to the parallel limit. */
  private sendWhile(partial: boolean): void {
    while (
      this.queue.length > 0 &&
      this.inFlight < this.limits.parallel &&
      (partial || this.queue.length >= this.limits.batch)
    ) {
      const chunk = this.queue.splice(0, this.limits.batch);
      this.inFlight += 1;
      this.send(chunk).then(
        () => this.settled(),
        () => this.settled(),
      );
    }
  }

  private settled(): void {
    this.inFlight -= 1;
    this.sendWhile(false);
    this.schedule();
  }

  private async send(chunk: readonly Waiting<Item, Outcome>[]): Promise<void> {
    try {
      const outcomes = await this.write(chunk.map((waiting) => waiting.item));
      if (outcomes.length !== chunk.length) {
        throw new Error(`bulk write answered ${outcomes.length} outcomes for ${chunk.length} items`);
      }
      chunk.forEach((waiting, i) => {
        waiting.resolve(outcomes[i] as Outcome);
      });
    } catch (error) {
      for (const waiting of chunk) waiting.reject(error);
    }
  }
}
