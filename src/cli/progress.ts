/** Progress for long operations: a bar on a terminal, one line per item otherwise. */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private last = '';

  constructor(private readonly label: string) {}

  /** A line about one item (a container created, started...). */
  item(text: string): void {
    if (this.tty) this.clear();
    process.stderr.write(`${text}\n`);
    if (this.tty && this.last) process.stderr.write(this.last);
  }

  update(done: number, total: number): void {
    if (!this.tty) return;
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    this.last = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
    process.stderr.write(`\r${this.last}`);
  }

  done(): void {
    if (this.tty && this.last) process.stderr.write('\n');
    this.last = '';
  }

  private clear(): void {
    if (this.last) process.stderr.write(`\r${' '.repeat(this.last.length)}\r`);
  }
}
