/**
 * One SDK plugin for the `prescriptions` benchmark, in a process of its own (forked by the
 * benchmark, never run by hand): `runPlugin` with a trivial model. Training reports a model
 * name at once; a prescription request answers every running case with its last activity
 * (NEXT_ACTIVITY, probability 1). Tells the parent when a request arrived and when its handler
 * returned (wall-clock ms, comparable across processes), unless `quiet` (the `streaming`
 * benchmark: a request per event, where the messages would cost more than the model).
 */
import { runPlugin } from "../../src/sdk/index.js";
import { wallMs } from "./report.js";

type Command =
  | { type: "run"; address: string; key: string; partSize?: number; quiet?: boolean }
  | { type: "stop" };

const stop = new AbortController();

function reply(message: Record<string, unknown>): void {
  process.send?.(message);
}

async function run(
  address: string,
  key: string,
  partSize: number | undefined,
  quiet: boolean,
): Promise<void> {
  await runPlugin({
    address,
    report: { id: key, name: key, type: "bench", description: "prescriptions benchmark" },
    signal: stop.signal,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    partSize,
    // As many requests at once as the core sends a stream (CORE_MAX_INFLIGHT_PER_STREAM): each
    // answer waits for its ack (a durable commit), so one at a time would leave the model idle.
    prescriptionConcurrency: 16,
    onTrainingData: async (job, ctx) => {
      await ctx.accept();
      await ctx.started();
      await ctx.trained(`trivial-${job.pluginId}`);
    },
    onPrescription: async (request, ctx) => {
      if (!quiet) reply({ type: "delivered", requestId: request.requestId, at: wallMs() });
      let cases = 0;
      for await (const running of ctx.cases()) {
        const last = running.events[running.events.length - 1];
        await ctx.answer(running.caseId, {
          type: "NEXT_ACTIVITY",
          output: { activity: last?.ACTIVITY ?? null, probability: 1 },
        });
        cases++;
      }
      if (!quiet) reply({ type: "answered", requestId: request.requestId, cases, at: wallMs() });
    },
  });
}

process.on("message", (command: Command) => {
  if (command.type === "run") {
    run(command.address, command.key, command.partSize, command.quiet === true).then(
      () => reply({ type: "stopped" }),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  } else if (command.type === "stop") {
    stop.abort();
    setTimeout(() => process.exit(0), 2000).unref();
  }
});
