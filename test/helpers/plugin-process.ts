/**
 * An SDK plugin as a child process (test/fixtures/prescribing-plugin/plugin.ts through tsx),
 * for tests that kill a plugin instance with SIGKILL. Its stdout lines (JSON events) can be
 * awaited.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface PluginEvent {
  readonly event: "trained" | "delivered" | "progress" | "answered" | "held" | "stopped";
  readonly requestId?: string;
  readonly answered?: number;
  /** Requests held so far ("held"). */
  readonly held?: number;
  readonly projectId?: number;
}

export interface PluginProcessOptions {
  readonly addresses: readonly string[];
  readonly key: string;
  /** Cases per PrescriptionResult part. */
  readonly partSize?: number;
  /** The plugin pauses `pauseMs` after every `pauseEvery` cases. */
  readonly pauseEvery?: number;
  readonly pauseMs?: number;
  /** Having answered this many requests, the plugin holds every later one unanswered. */
  readonly holdAfter?: number;
  /** Prescription requests handled at the same time (default 1). */
  readonly prescriptionConcurrency?: number;
}

export class PluginProcess {
  readonly events: PluginEvent[] = [];
  readonly output: string[] = [];
  readonly exited: Promise<number | string>;
  private readonly waiters = new Set<() => void>();
  private readonly child: ChildProcess;

  constructor(readonly options: PluginProcessOptions) {
    const config = { partSize: 100, pauseEvery: 50, pauseMs: 20, ...options };
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", "test/fixtures/prescribing-plugin/plugin.ts", JSON.stringify(config)],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.exited = once(this.child, "exit").then(
      ([code, signal]) => (code ?? signal) as number | string,
    );
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      this.output.push(line);
      try {
        const event = JSON.parse(line) as PluginEvent;
        this.events.push(event);
        for (const wake of this.waiters) wake();
      } catch {
        // not an event
      }
    });
    this.child.stderr?.on("data", (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  get key(): string {
    return this.options.key;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Events of `requestId` this process printed. */
  eventsOf(requestId: string): PluginEvent[] {
    return this.events.filter((e) => e.requestId === requestId);
  }

  /** Resolves with the first event printed so far or later that matches. */
  async waitFor(match: (event: PluginEvent) => boolean, timeoutMs = 60_000): Promise<PluginEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || !this.running) {
        throw new Error(`${this.key}: no such event; its output:\n${this.output.join("\n")}`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1000));
        this.waiters.add(wake);
      });
    }
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM (the SDK shuts down), then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
