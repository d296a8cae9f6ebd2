/**
 * Group commit: single-item writes issued by many concurrent executions leave as a few bulk requests.
 * Each caller still awaits its own item's outcome, so the code that writes one record stays as it is.
 * A request leaves at once when nothing is in flight (no added latency on a quiet router); while one
 * is in flight the next items wait for it, and leave together when it returns or when a full request
 * has gathered. Under load a request's round trip is what gathers the next request's items.
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

  constructor(
    private readonly write: BulkWrite<Item, Outcome>,
    private readonly limits: GroupCommitLimits,
  ) {}

  /** Writes `item` with whatever else is waiting; settles with its own outcome or its request's failure. */
  submit(item: Item): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // The items submitted in this turn of the event loop leave together, not the first one alone.
      if (!this.scheduled && this.inFlight === 0) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      } else if (this.queue.length >= this.limits.batch) {
        this.pump();
      }
    });
  }

  private pump(): void {
    while (
      this.queue.length > 0 &&
      this.inFlight < this.limits.parallel &&
      (this.inFlight === 0 || this.queue.length >= this.limits.batch)
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
    this.pump();
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
