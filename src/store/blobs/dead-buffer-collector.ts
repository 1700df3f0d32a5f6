/**
 * Bounds the memory held by dead Buffers on the large-file paths (upload, preprocessing,
 * download). Every MiB moved there allocates fresh Buffers that die at once (gRPC message
 * buffers, rows read from the store, protobuf encodings), while hardly any JavaScript objects
 * are allocated; V8 frees a dead Buffer's memory only when it collects its small wrapper, which
 * with so little JS allocation happens late (the external-memory heuristics let ~64 MB pile up
 * per thread). So these paths report the bytes they allocate, and after every
 * `bytesPerCollection` a minor (young-generation) collection runs: about a millisecond, and the
 * dead Buffers' memory is freed.
 *
 * The collection function is V8's `gc`, exposed for a fresh context through the `--expose-gc`
 * flag set at run time (it only adds a `gc` function to contexts created afterwards). Where that
 * is unavailable, `allocated` does nothing.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Gc = (options?: { type?: "major" | "minor"; execution?: "sync" | "async" }) => void;

let gc: Gc | undefined | null;

function collector(): Gc | null {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      gc = runInNewContext("gc") as Gc;
      if (typeof gc !== "function") gc = null;
    } catch {
      gc = null;
    }
  }
  return gc;
}

export class DeadBufferCollector {
  private bytes = 0;

  constructor(private readonly bytesPerCollection = 8 * 1024 * 1024) {}

  /** Counts `bytes` of short-lived Buffers; collects the young generation every so often. */
  allocated(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes < this.bytesPerCollection) return;
    this.bytes = 0;
    collector()?.({ type: "minor" });
  }
}
