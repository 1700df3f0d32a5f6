// Vitest setup file: a test file fails when, after all its tests and hooks, it left open a
// server, connection (a gRPC channel's included), child process or timer that was not open
// before the file was loaded.
import { afterAll } from "vitest";
import { describeChild, trackChildProcesses } from "./child-processes.js";
import { describeServer, describeSocket, trackConnections, trackServers } from "./connections.js";
import { activeHandles, untrackedHandlesSince } from "./open-handles.js";
import { describeTimer, liveTimers, trackTimers } from "./timers.js";
import { isTolerated, resetTolerated } from "./tolerated.js";

/** How long handles that are already closing get to finish before they count as leaks. */
const closingGraceMs = 2000;

// Taken now, before a test can install fake timers over it.
const nextTurn = globalThis.setImmediate;

const children = trackChildProcesses();
const connections = trackConnections();
const servers = trackServers();
const timers = trackTimers();
resetTolerated();

// Before the test file is imported, so what it opens at its top level counts too.
const baseline = {
  handles: activeHandles(),
  children: new Set(children),
  connections: new Set(connections),
  servers: new Set(servers),
  timers: new Set(liveTimers(timers)),
};

function leaks(): string[] {
  const opened = <T>(now: Iterable<T>, before: ReadonlySet<T>) =>
    [...now].filter((item) => !before.has(item));
  return [
    ...opened(servers, baseline.servers)
      .filter((s) => s.listening)
      .map(describeServer),
    ...opened(connections, baseline.connections)
      .filter((s) => !isTolerated(s))
      .map(describeSocket),
    ...opened(children, baseline.children)
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map(describeChild),
    ...opened(liveTimers(timers), baseline.timers).map((t) => describeTimer(timers, t)),
    ...untrackedHandlesSince(baseline.handles, connections),
  ];
}

afterAll(async () => {
  const since = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - since) / 1e6;
  let found = leaks();
  // One turn of the loop at a time: sockets and servers close in the next few I/O phases.
  while (found.length > 0 && elapsedMs() < closingGraceMs) {
    await new Promise((resolve) => nextTurn(resolve));
    found = leaks();
  }
  if (found.length > 0) {
    const list = found.map((leak) => `  - ${leak}`).join("\n");
    throw new Error(`this test file left ${found.length} thing(s) open:\n${list}`);
  }
});
