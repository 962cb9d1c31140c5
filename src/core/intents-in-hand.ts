/**
 * The intents this core process is carrying out now. Recovery (recovery.ts) undoes the intents of
 * cores that died; it also takes up this core's own intents that are not in hand — what a deploy, a
 * removal or a replace left when it failed half-way (a Docker daemon that stopped answering) — since
 * no one else ever would.
 */
export class IntentsInHand {
  private readonly ids = new Set<string>();

  add(id: string): void {
    this.ids.add(id);
  }

  delete(id: string): void {
    this.ids.delete(id);
  }

  has(id: string): boolean {
    return this.ids.has(id);
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
