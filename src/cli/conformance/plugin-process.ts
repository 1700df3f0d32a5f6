/** The plugin under test: the author's command, started once per scenario. */
import { type ChildProcess, spawn } from "node:child_process";

const keptLines = 40;

export class PluginProcess {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(command: readonly string[], env: Record<string, string>) {
    const [file = "", ...args] = command;
    this.child = spawn(file, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim()) this.lines.push(line);
      }
      if (this.lines.length > keptLines) this.lines.splice(0, this.lines.length - keptLines);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => {
      this.child.once("error", (error) => {
        this.lines.push(`could not start the plugin: ${error.message}`);
        this.exit = { code: 127, signal: null };
        resolve(this.exit);
      });
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last lines the plugin printed. */
  get output(): string {
    return this.lines.join("\n");
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  describeExit(): string {
    if (!this.exit) return "still running";
    return this.exit.signal
      ? `killed by ${this.exit.signal}`
      : `exited with code ${this.exit.code}`;
  }
}
