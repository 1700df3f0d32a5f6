// Every child process started in this worker (spawn, exec, execFile and fork all go through
// ChildProcess#spawn), so that one still running is found even when it was unref'd and so no
// longer keeps the loop alive.
import { ChildProcess } from "node:child_process";
import { patchOnce } from "./patch-once.js";

/** The method every way of starting a child calls (not in Node's type declarations). */
type Spawning = ChildProcess & { spawn(this: ChildProcess, ...args: unknown[]): unknown };

/** Starts tracking (once per worker); returns the children that have not exited. */
export function trackChildProcesses(): ReadonlySet<ChildProcess> {
  return patchOnce(
    ChildProcess.prototype as Spawning,
    "spawn",
    () => new Set<ChildProcess>(),
    (original, running) =>
      function (this: ChildProcess, ...args: unknown[]) {
        const result = original.apply(this, args);
        if (this.pid !== undefined) {
          running.add(this);
          this.once("exit", () => running.delete(this));
        }
        return result;
      },
  );
}

export function describeChild(child: ChildProcess): string {
  return `child process ${child.pid} still running (${child.spawnargs.join(" ")})`;
}
