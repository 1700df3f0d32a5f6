/**
 * Sends the OnlineInquiries of a round a slice at a time, one slice per turn of the event loop,
 * so that a round to 10,000 streams (one socket write each) does not hold the loop for a second
 * and more: other calls are served between slices. A slice ends after `slice` writes or after
 * `budgetMs` of writing, whichever comes first, so a slice stays short on a loaded machine
 * too (and the answers, which come back about as fast as the inquiries went out, arrive
 * spread over as many turns).
 */
export interface InquiryPacerOptions {
  /** Most writes per turn of the event loop (default 200). */
  readonly slice?: number;
  /** Most milliseconds of writing per turn (default 5). */
  readonly budgetMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

export class InquiryPacer {
  private queue: (() => void)[] = [];
  /** Index of the next write in `queue`. */
  private head = 0;
  private scheduled = false;
  private readonly slice: number;
  private readonly budgetMs: number;
  private readonly now: () => number;

  constructor(options: InquiryPacerOptions | number = {}) {
    const o = typeof options === "number" ? { slice: options } : options;
    this.slice = o.slice ?? 200;
    this.budgetMs = o.budgetMs ?? 5;
    this.now = o.now ?? (() => performance.now());
  }

  /** Writes still queued. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  send(write: () => void): void {
    this.queue.push(write);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    const deadline = this.now() + this.budgetMs;
    for (let n = 0; n < this.slice && this.head < this.queue.length; n++) {
      const write = this.queue[this.head] as () => void;
      this.head++;
      write();
      if (this.now() >= deadline) break;
    }
    if (this.head < this.queue.length) {
      setImmediate(() => this.drain());
      return;
    }
    this.queue = [];
    this.head = 0;
    this.scheduled = false;
  }
}
