/** A queue whose `next()` waits for the next pushed item: lets tests await events, not sleep. */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  next(timeoutMs = 10_000): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(onItem);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`nothing arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const onItem = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.waiters.push(onItem);
    });
  }

  /** Everything queued now, without waiting. */
  takeAll(): T[] {
    return this.items.splice(0);
  }

  get size(): number {
    return this.items.length;
  }
}
