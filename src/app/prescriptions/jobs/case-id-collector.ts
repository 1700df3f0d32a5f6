/**
 * A ChunkSink in front of the running-cases set's writer that reads, on the way, the case id of
 * each row (the first field of the CSV the normalizer writes, CASE_ID) and keeps each case once,
 * in order: the set's cases are contiguous. The ids are all that is kept: memory grows with the
 * number of cases, not with the log.
 */
import { StringDecoder } from "node:string_decoder";
import type { ChunkSink } from "../../preprocessing/csv/index.js";

export class CaseIdCollector implements ChunkSink {
  /** The distinct case ids, in the order of the set. */
  readonly caseIds: string[] = [];
  private readonly decoder = new StringDecoder("utf8");
  private header = true;
  private field = 0;
  private quoted = false;
  /** A quote seen inside a quoted field: the end of the field, or the first of `""`. */
  private quote = false;
  private first = "";

  constructor(private readonly inner: ChunkSink) {}

  async write(chunk: Buffer): Promise<void> {
    this.read(this.decoder.write(chunk));
    await this.inner.write(chunk);
  }

  private read(text: string): void {
    for (let i = 0; i < text.length; i++) {
      if (this.field > 0 && !this.quoted && !this.quote) {
        // Past the case id only a quote or the end of the row matters: skip to the next one.
        i = nextOf(text, i);
        if (i < 0) return;
      }
      const c = text[i] as string;
      if (this.quote) {
        this.quote = false;
        if (c === '"') {
          if (this.field === 0) this.first += '"';
          continue;
        }
        this.quoted = false;
      } else if (this.quoted) {
        if (c === '"') this.quote = true;
        else if (this.field === 0) this.first += c;
        continue;
      }
      if (c === '"') this.quoted = true;
      else if (c === ",") this.field++;
      else if (c === "\n") this.endRow();
      else if (c !== "\r" && this.field === 0) this.first += c;
    }
  }

  private endRow(): void {
    if (this.header) this.header = false;
    else if (this.caseIds[this.caseIds.length - 1] !== this.first) this.caseIds.push(this.first);
    this.field = 0;
    this.first = "";
  }
}

/** The index of the next `"` or line feed in `text` from `from` on; -1 when there is none. */
function nextOf(text: string, from: number): number {
  const quote = text.indexOf('"', from);
  const end = text.indexOf("\n", from);
  if (quote < 0) return end;
  return end < 0 || quote < end ? quote : end;
}
