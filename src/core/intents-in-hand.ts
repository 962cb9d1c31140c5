/**
 * The intents this core process is carrying out now. Recovery (recovery.ts) undoes the intents of
 * cores that died; it also takes up this core's own intents that are not in hand — what a deploy, a
 * removal or a replace left when it failed half-way (a Docker daemon that stopped answering) — since
 * no one else ever would.
 */
export class IntentsInHand {
  private readonly ids = new Set<string>();
  /** Intents let go of lately, and when: one still in the store then was given up on. */
  private readonly letGo = new Map<string, number>();

  add(id: string): void {
    this.ids.add(id);
    this.letGo.delete(id);
  }

  delete(id: string): void {
    this.ids.delete(id);
    this.letGo.set(id, Date.now());
    // Ended ones are forgotten after a while (their intents are gone from the store anyway).
    if (this.letGo.size > 1000) for (const [key, at] of this.letGo) if (Date.now() - at > 60_000) this.letGo.delete(key);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Let go of by this process (ended, or given up on), and not taken in hand since. */
  wasLetGo(id: string): boolean {
    return this.letGo.has(id) && !this.ids.has(id);
  }

  /** `work` with the intent in hand, let go however it ends. */
  async holding<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.add(id);
    try {
      return await work();
    } finally {
      this.delete(id);
    }
  }
}
