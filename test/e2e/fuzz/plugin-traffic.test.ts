/**
 * Random plugin traffic against the real server (in process, both dialects), with fast-check.
 * Each run creates a few projects, opens one Connect stream per plugin key (2–3 keys) and sends
 * random ConnectRequests — valid reports in random order, repeated and reordered, plugin_ids of
 * other projects and other keys, unknown projects, zero/negative/huge ids, no report at all,
 * 100 KB strings, OnlineReports for other keys, odd sequence numbers — pipelined or one at a
 * time. An independent model of the protocol (every membership in the database, the state
 * machine, the validation rules) predicts the code of every Ack. Checked: the core answers every
 * request with exactly one Ack echoing its sequence, in order, with the predicted code (always
 * one of 0/3/5/7/9); the stream ends cleanly; the stored memberships equal the model's; the core
 * still answers GetProject and health; `checkStoredInvariants` holds.
 *
 * FUZZ_SEED reproduces a run (the seed is printed); FUZZ_RUNS (default 50) and FUZZ_TIME_MS
 * (default 20 s per dialect; the runs stop there without failing) scale a longer session.
 */
import { status } from "@grpc/grpc-js";
import fc from "fast-check";
import { expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../../src/gen/grpc/health/v1/health.js";
import type { TestCore } from "../../helpers/core.js";
import { describeEachDialect } from "../../helpers/databases.js";
import { fuzzCorePerDescribe, servingStatus } from "../../helpers/fuzz/fuzz-core.js";
import { type Planned, plan, type RunContext } from "../../helpers/fuzz/plan.js";
import { Model } from "../../helpers/fuzz/protocol-model.js";
import { RawStream } from "../../helpers/fuzz/raw-stream.js";
import { type Scenario, scenarioArb } from "../../helpers/fuzz/scenarios.js";
import { keys, numRuns, seed, timeLimitMs } from "../../helpers/fuzz/settings.js";
import { findViolations, readStoredState } from "../../helpers/invariants.js";
import { createProject, getProject } from "../../helpers/projects.js";

const acceptedCodes = new Set([0, 3, 5, 7, 9]);

async function waitForProjects(core: TestCore, ids: readonly number[]) {
  await core.core.preprocessingIdle();
  return Promise.all(ids.map((id) => getProject(core.projects, id)));
}

describeEachDialect("fuzzed plugin traffic", (dialect) => {
  const fuzz = fuzzCorePerDescribe(dialect);

  /** What the runs covered, printed at the end: proof that the fuzzer reaches deep states. */
  const stats = {
    runs: 0,
    requests: 0,
    codes: new Map<number, number>(),
    statuses: new Map<string, number>(),
  };

  async function runScenario(scenario: Scenario): Promise<void> {
    stats.runs++;
    const created = [];
    for (const targets of scenario.projects) {
      created.push(
        await createProject(fuzz.core.projects, {
          pluginKeys: targets.map((i) => keys[i] as string),
        }),
      );
    }
    const projects = await waitForProjects(
      fuzz.core,
      created.map((p) => p.id),
    );
    const stored = await readStoredState(fuzz.database.url);
    const model = new Model(
      new Set(stored.projects.map((p) => Number(p.id))),
      new Map(
        stored.memberships.map((a) => [
          Number(a.id),
          {
            projectId: Number(a.project_id),
            key: a.plugin_key,
            status: a.status,
            modelName: a.model_name,
            error: a.error,
          },
        ]),
      ),
    );
    const ctx: RunContext = {
      streamKeys: keys.slice(0, scenario.keyCount),
      projects: projects.map((p) => ({
        id: p.id,
        pluginIds: new Map(p.plugins.map((m) => [m.key, m.pluginId])),
      })),
      unknownProjectId: Math.max(0, ...model.projectIds) + 1000,
      model,
    };
    const planned = plan(ctx, scenario.commands);

    const streams = ctx.streamKeys.map(() => new RawStream(fuzz.core.address));
    try {
      const sent: Planned[][] = ctx.streamKeys.map(() => []);
      for (const [i, key] of ctx.streamKeys.entries()) {
        const registration: Planned = {
          stream: i,
          request: {
            sequence: 1,
            message: {
              $case: "onlineReport",
              value: {
                id: key,
                name: `Plugin ${key}`,
                type: "fuzz",
                description: "",
                parameters: {},
                neededColumns: [],
                prescribes: false,
              },
            },
          },
          expectedCode: status.OK,
          what: "registration",
        };
        (streams[i] as RawStream).write(registration.request);
        (sent[i] as Planned[]).push(registration);
      }
      for (const p of planned) {
        const stream = streams[p.stream] as RawStream;
        const mine = sent[p.stream] as Planned[];
        stream.write(p.request);
        mine.push(p);
        if (!scenario.pipelined) await stream.untilAcks(mine.length);
      }
      await Promise.all(streams.map((s, i) => s.untilAcks((sent[i] as Planned[]).length)));
      // Half-close: the core acks everything, then ends the stream with OK; only then is the
      // list of acks complete, so "exactly one ack per request" can be checked.
      const ends = await Promise.all(streams.map((s) => s.finish()));

      const problems: string[] = [];
      for (const [i, stream] of streams.entries()) {
        const mine = sent[i] as Planned[];
        const key = ctx.streamKeys[i];
        if (ends[i]?.code !== status.OK)
          problems.push(`${key}: stream ended with ${ends[i]?.code} ${ends[i]?.details}`);
        const gotSequences = stream.acks.map((a) => a.sequence);
        const sentSequences = mine.map((p) => p.request.sequence);
        if (JSON.stringify(gotSequences) !== JSON.stringify(sentSequences)) {
          problems.push(
            `${key}: ack sequences ${JSON.stringify(gotSequences)} != sent ${JSON.stringify(sentSequences)}`,
          );
        }
        for (const [j, ack] of stream.acks.entries()) {
          const p = mine[j];
          stats.requests++;
          stats.codes.set(ack.code, (stats.codes.get(ack.code) ?? 0) + 1);
          if (!acceptedCodes.has(ack.code))
            problems.push(`${key}: ${p?.what} acked with code ${ack.code} (${ack.message})`);
          if (p && ack.code !== p.expectedCode) {
            problems.push(
              `${key}: ${p.what} acked ${ack.code} (${ack.message}), the model expects ${p.expectedCode}`,
            );
          }
          if ((ack.code === 0) !== (ack.message === ""))
            problems.push(`${key}: ack ${ack.code} with message ${JSON.stringify(ack.message)}`);
        }
      }

      // Still serving?
      for (const p of projects) await getProject(fuzz.core.projects, p.id);
      expect(await servingStatus(fuzz.health)).toBe(HealthCheckResponse_ServingStatus.SERVING);

      const after = await readStoredState(fuzz.database.url);
      for (const a of after.memberships) {
        const m = model.memberships.get(Number(a.id));
        const storedView = `${a.status} ${JSON.stringify(a.model_name.slice(0, 40))} ${JSON.stringify(a.error.slice(0, 40))}`;
        const modelView = m
          ? `${m.status} ${JSON.stringify(m.modelName.slice(0, 40))} ${JSON.stringify(m.error.slice(0, 40))}`
          : "<absent>";
        if (storedView !== modelView)
          problems.push(`plugin_id ${a.id}: stored ${storedView}, model ${modelView}`);
        if (projects.some((p) => p.id === Number(a.project_id))) {
          stats.statuses.set(a.status, (stats.statuses.get(a.status) ?? 0) + 1);
        }
      }
      // Only violations this run introduced: an earlier run's would fail every later run and
      // mislead shrinking.
      const earlier = new Set(findViolations(stored));
      problems.push(...findViolations(after).filter((v) => !earlier.has(v)));
      if (problems.length > 0) throw new Error(problems.join("\n"));
    } finally {
      for (const s of streams) s.cancel();
    }
  }

  it(
    "answers random requests with exactly one predicted ack each, in order, and stays consistent",
    async () => {
      await fc.assert(fc.asyncProperty(scenarioArb, runScenario), {
        seed,
        numRuns,
        // Shrinking reruns whole scenarios against the server: bound it.
        endOnFailure: false,
        interruptAfterTimeLimit: timeLimitMs,
        markInterruptAsFailure: false,
      });
      console.log(
        `[fuzz] ${dialect}: ${stats.runs} runs, ${stats.requests} requests; ack codes ${JSON.stringify(Object.fromEntries(stats.codes))}; final statuses of the runs' memberships ${JSON.stringify(Object.fromEntries(stats.statuses))}`,
      );
    },
    timeLimitMs + 40_000,
  );

  // -------------------------------------------------------------------------------------------
  // Raw HTTP/2: what a broken or hostile client can put on the wire.
});
