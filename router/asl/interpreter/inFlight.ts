/**
 * The invokes a run has in flight and the controllers that cancel them, kept apart from the run's loop
 * because their layout is chosen for speed alone.
 */

/**
 * A run's invokes in flight, by effect id, with the controller that cancels each (`undefined` for one only
 * the caller's signal can stop). A run has one or a handful at a time (never more than its invoke
 * limit), so two arrays scanned in order beat a Map, whose table is reallocated as it fills, empties and
 * is cleared: that was a tenth of the memory a short run allocated.
 */
export class InFlight {
  private readonly ids: string[] = [];
  private readonly controllers: (AbortController | undefined)[] = [];

  get size(): number {
    return this.ids.length;
  }

  indexOf(id: string): number {
    return this.ids.indexOf(id);
  }

  controllerAt(index: number): AbortController | undefined {
    return this.controllers[index];
  }

  /** True when an invoke in flight is cancelled by `controller`. */
  holds(controller: AbortController): boolean {
    return this.controllers.includes(controller);
  }

  add(id: string, controller: AbortController | undefined): void {
    this.ids.push(id);
    this.controllers.push(controller);
  }

  /** Removes one entry (the last takes its place) and returns its controller. */
  removeAt(index: number): AbortController | undefined {
    const controller = this.controllers[index];
    const lastId = this.ids.pop() as string;
    const lastController = this.controllers.pop();
    if (index < this.ids.length) {
      this.ids[index] = lastId;
      this.controllers[index] = lastController;
    }
    return controller;
  }

  /** Cancels and forgets every entry. */
  abortAll(): void {
    if (this.ids.length === 0) return;
    for (const controller of this.controllers) controller?.abort();
    this.ids.length = 0;
    this.controllers.length = 0;
  }
}
