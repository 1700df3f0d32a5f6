/**
 * The last `capacity` values added, for "have I seen this recently?". A ring beside a Set: adding
 * past the capacity forgets the oldest in O(1) (taking the first value of a Set that keeps losing
 * its oldest entries walks over their holes, which is slow).
 */
export class RecentSet<T> {
  private readonly values = new Set<T>();
  private readonly ring: T[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.values.size;
  }

  has(value: T): boolean {
    return this.values.has(value);
  }

  /** Adds `value` (once: adding it again changes nothing), forgetting the oldest beyond capacity. */
  add(value: T): void {
    if (this.values.has(value)) return;
    this.values.add(value);
    if (this.ring.length < this.capacity) {
      this.ring.push(value);
      return;
    }
    this.values.delete(this.ring[this.next] as T);
    this.ring[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }
}
