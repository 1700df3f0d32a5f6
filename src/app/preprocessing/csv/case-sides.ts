/**
 * The side of every case seen so far (true = holdout), keyed by case id, in a few typed arrays
 * instead of a `Map<string, boolean>`: each id's UTF-8 bytes once, in one growing Buffer, plus
 * 17 bytes of table per case (offset, hash, side, and two slots of an open-addressing table
 * kept at most half full). About 30–60 bytes per case against 80–100 for the Map (its entry
 * plus a string per id), no rehash spike of a multi-MB hash table, and no limit of 2^24
 * entries. This is the only preprocessing state that grows with the input. Ids are compared by
 * their UTF-8 bytes, which is exact for the ids the pipeline makes: they are decoded from valid
 * UTF-8, so they hold no lone surrogates.
 */

const INITIAL_CASES = 1024;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export class CaseSides {
  /** Case ids' bytes, back to back: case i is `bytes[starts[i], starts[i + 1])`. */
  private bytes = Buffer.allocUnsafe(INITIAL_CASES * 16);
  private starts = new Uint32Array(INITIAL_CASES + 1);
  private hashes = new Int32Array(INITIAL_CASES);
  private sides = new Uint8Array(INITIAL_CASES);
  private count = 0;
  /** Open addressing, linear probing: case index + 1, 0 for an empty slot. */
  private slots = new Int32Array(2 * INITIAL_CASES);
  /** The id being looked up, encoded. */
  private key = Buffer.allocUnsafe(256);
  private keyLength = 0;
  private keyHash = 0;

  get size(): number {
    return this.count;
  }

  /** The side of `caseId`, or undefined for a case not seen yet. */
  get(caseId: string): boolean | undefined {
    this.keyHash = this.encode(caseId);
    const found = this.find(this.keyHash);
    return found < 0 ? undefined : this.sides[found] === 1;
  }

  /** The index of `caseId` in first-seen order, or -1 for a case not seen yet. */
  indexOf(caseId: string): number {
    this.keyHash = this.encode(caseId);
    return this.find(this.keyHash);
  }

  /** The side of the case at `index` (see `indexOf`). */
  sideAt(index: number): boolean {
    return this.sides[index] === 1;
  }

  /**
   * Records the side of the case that the last `get` or `indexOf` did not find; returns its
   * index.
   */
  addLast(holdout: boolean): number {
    if (this.count === this.hashes.length) this.growEntries();
    const length = this.keyLength;
    const start = this.starts[this.count] as number;
    if (start + length > this.bytes.length) this.growBytes(start + length);
    this.key.copy(this.bytes, start, 0, length);
    const index = this.count++;
    this.starts[this.count] = start + length;
    this.hashes[index] = this.keyHash;
    this.sides[index] = holdout ? 1 : 0;
    if (2 * this.count > this.slots.length) this.growSlots();
    else this.place(index);
    return index;
  }

  /** Encodes `caseId` into `key` and returns its hash (FNV-1a over the UTF-8 bytes). */
  private encode(caseId: string): number {
    if (caseId.length * 3 > this.key.length) {
      this.key = Buffer.allocUnsafe(Math.max(caseId.length * 3, 2 * this.key.length));
    }
    const length = this.key.write(caseId, 0, "utf8");
    this.keyLength = length;
    const key = this.key;
    let hash = FNV_OFFSET;
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ (key[i] as number), FNV_PRIME);
    return hash | 0;
  }

  /** The index of the case whose bytes are `key`, or -1. */
  private find(hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const entry = slots[at] as number;
      if (entry === 0) return -1;
      const index = entry - 1;
      if (this.hashes[index] === hash && this.keyEquals(index)) return index;
    }
  }

  private keyEquals(index: number): boolean {
    const start = this.starts[index] as number;
    const length = this.keyLength;
    if ((this.starts[index + 1] as number) - start !== length) return false;
    const bytes = this.bytes;
    const key = this.key;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== key[i]) return false;
    return true;
  }

  private place(index: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let at = (this.hashes[index] as number) & mask;
    while (slots[at] !== 0) at = (at + 1) & mask;
    slots[at] = index + 1;
  }

  private growEntries(): void {
    const capacity = 2 * this.hashes.length;
    const starts = new Uint32Array(capacity + 1);
    starts.set(this.starts);
    this.starts = starts;
    const hashes = new Int32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const sides = new Uint8Array(capacity);
    sides.set(this.sides);
    this.sides = sides;
  }

  private growBytes(needed: number): void {
    const bytes = Buffer.allocUnsafe(Math.max(needed, 2 * this.bytes.length));
    this.bytes.copy(bytes, 0, 0, this.starts[this.count] as number);
    this.bytes = bytes;
  }

  private growSlots(): void {
    this.slots = new Int32Array(2 * this.slots.length);
    for (let index = 0; index < this.count; index++) this.place(index);
  }
}
