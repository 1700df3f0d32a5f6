/**
 * Sends the OnlineInquiries of a round a slice at a time, one slice per turn of the event loop,
 * so that a round to 10,000 streams (one socket write each) does not hold the loop for a second
 * and more: other calls are served between slices.
 */
export class InquiryPacer {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly slice = 200) {}

  send(write: () => void): void {
    this.queue.push(write);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    for (const write of this.queue.splice(0, this.slice)) write();
    if (this.queue.length > 0) setImmediate(() => this.drain());
    else this.scheduled = false;
  }
}
