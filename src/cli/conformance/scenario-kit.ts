/** What scenarios are made of: their context, their verdicts, and the steps they share. */
import type { ConnectRequest } from "../../gen/trainingcore/v1/plugin_service.js";
import type { PluginProcess } from "./plugin-process.js";
import type { ScriptedCore, ScriptedStream } from "./scripted-core.js";

export interface ScenarioContext {
  readonly core: ScriptedCore;
  readonly key: string;
  readonly plugin: PluginProcess;
  /** How long a step may take (training, a reconnect). */
  readonly stepMs: number;
}

export interface Scenario {
  readonly name: string;
  /** What a conforming plugin does. */
  readonly expected: string;
  /** The rule of the protocol it checks (docs/plugin-authors.md). */
  readonly rule: string;
  /** Returns what was seen when it passed; throws ScenarioFailure (or returns a skip). */
  run(ctx: ScenarioContext): Promise<string | Skip>;
}

export class Skip {
  constructor(readonly seen: string) {}
}

export class ScenarioFailure extends Error {
  constructor(readonly seen: string) {
    super(seen);
  }
}

export function fail(seen: string): never {
  throw new ScenarioFailure(seen);
}

export function kindOf(request: ConnectRequest): string {
  return request.message?.$case ?? "an empty request";
}

/** The kinds received on a stream, OnlineReports left out, for "what was seen". */
export function reports(stream: ScriptedStream): string {
  const kinds = stream.received.map(kindOf).filter((kind) => kind !== "onlineReport");
  return kinds.length > 0 ? kinds.join(", ") : "no report";
}

/** Waits until `test()`; fails naming `what` when the plugin exits or time runs out. */
export async function waitFor(
  ctx: ScenarioContext,
  test: () => boolean,
  what: string,
  timeoutMs = ctx.stepMs,
): Promise<void> {
  await ctx.core.until(() => test() || !ctx.plugin.running, timeoutMs);
  if (test()) return;
  if (ctx.core.refusedTokens.length > 0) {
    fail(`${ctx.core.refusedTokens[0]} came without the token (authorization: Bearer <token>)`);
  }
  if (!ctx.plugin.running)
    fail(`the plugin ${ctx.plugin.describeExit()} while the kit waited for ${what}`);
  fail(`no ${what} within ${Math.round(timeoutMs / 1000)} s`);
}

/** Waits `ms`, or less if the plugin exits. */
export async function settle(ctx: ScenarioContext, ms: number): Promise<void> {
  await ctx.core.until(() => !ctx.plugin.running, ms);
}

/** The `n`-th Connect stream, checked to start with an OnlineReport of the key. */
export async function registered(ctx: ScenarioContext, n = 1): Promise<ScriptedStream> {
  await waitFor(
    ctx,
    () => (ctx.core.streams[n - 1]?.received.length ?? 0) > 0,
    n === 1 ? "Connect call with a first message" : `reconnect (Connect call number ${n})`,
  );
  const stream = ctx.core.streams[n - 1] as ScriptedStream;
  const first = stream.received[0] as ConnectRequest;
  if (first.message?.$case !== "onlineReport") {
    fail(`the first message of stream ${n} was ${kindOf(first)}`);
  }
  if (first.message.value.id !== ctx.key) {
    fail(`it registered as "${first.message.value.id}", not as the key "${ctx.key}"`);
  }
  return stream;
}

/** True once the job ended: ModelName, ErrorReport, or DataReport not applicable. */
export function jobEnded(stream: ScriptedStream): boolean {
  return (
    stream.of("modelName").length > 0 ||
    stream.of("errorReport").length > 0 ||
    stream
      .of("dataReport")
      .some((r) => r.message?.$case === "dataReport" && !r.message.value.applicable)
  );
}

/** Whether the first OnlineReport said `prescribes`. */
export function prescribes(stream: ScriptedStream): boolean {
  const first = stream.received[0];
  return first?.message?.$case === "onlineReport" && first.message.value.prescribes;
}
