/**
 * The live table written in place on a terminal (log-update: cursor movement, only the changed
 * lines rewritten, inside the terminal's synchronized-output markers, so nothing flickers), at
 * most every `intervalMs` (100 ms: ten frames a second) however fast events come, and every
 * second while none come (the rate and the clock move on).
 */
import { createLogUpdate } from "log-update";
import { type LiveTableState, renderLiveTable } from "./live-table.js";

/** What the view needs of a terminal's output stream (process.stdout). */
export interface TerminalOutput {
  write(text: string): boolean;
  readonly columns?: number;
  readonly rows?: number;
  on?(event: "resize", listener: () => void): unknown;
  off?(event: "resize", listener: () => void): unknown;
}

export interface LiveViewOptions {
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export class LiveView {
  private readonly log: ReturnType<typeof createLogUpdate>;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly tick: NodeJS.Timeout;
  private pending: NodeJS.Timeout | undefined;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private readonly onResize = () => this.changed();

  constructor(
    private readonly state: LiveTableState,
    private readonly out: TerminalOutput,
    options: LiveViewOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.now = options.now ?? Date.now;
    // A terminal that reports no size (0 × 0, e.g. a pty nobody sized) gets 80 × 24.
    const sized = {
      isTTY: true,
      write: (text: string) => out.write(text),
      get columns() {
        return out.columns || 80;
      },
      get rows() {
        return out.rows || 24;
      },
    };
    this.log = createLogUpdate(sized as unknown as NodeJS.WriteStream);
    this.tick = setInterval(() => this.changed(), 1000);
    this.tick.unref();
    out.on?.("resize", this.onResize);
    this.draw();
  }

  /** The state changed: a frame within `intervalMs` of the last one. */
  changed(): void {
    if (this.stopped || this.pending !== undefined) return;
    const wait = Math.max(0, this.lastDrawMs + this.intervalMs - this.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.draw();
    }, wait);
  }

  /** Draws the last frame and leaves it on the terminal; the cursor goes below it. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.tick);
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.out.off?.("resize", this.onResize);
    this.draw();
    this.log.done();
  }

  private draw(): void {
    this.lastDrawMs = this.now();
    const size = { columns: this.out.columns || 80, rows: this.out.rows || 24 };
    this.log(renderLiveTable(this.state, size, this.lastDrawMs).join("\n"));
  }
}
