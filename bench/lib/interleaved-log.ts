/**
 * The synthetic event log of `syntheticEventLog` with its cases interleaved: `open` cases at a
 * time, their events taken in turn (each case's own events in order), so that no case's events
 * are contiguous and the normalizer groups the log on disk.
 */
import { syntheticEventLog } from "../../test/helpers/datasets.js";

export function* interleavedEventLog(targetBytes: number, open = 100): Generator<string> {
  const cases = syntheticEventLog(targetBytes);
  yield cases.next().value as string; // the header
  const queues: string[][] = [];
  let more = true;
  while (more || queues.length > 0) {
    while (more && queues.length < open) {
      const next = cases.next();
      if (next.done) more = false;
      else queues.push(next.value.split("\n").filter((line) => line !== ""));
    }
    for (const queue of queues) yield `${queue.shift()}\n`;
    for (let i = queues.length - 1; i >= 0; i--) if (queues[i]?.length === 0) queues.splice(i, 1);
  }
}
