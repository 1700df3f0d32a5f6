// Live prescriptions end to end: PostEvents' refusals and idempotency, per-case delivery with
// case prefixes, WatchPrescriptions in id order with a cursor, deadlines and redelivery.
import { type ServiceError, status } from "@grpc/grpc-js";
import { expect, it, onTestFinished } from "vitest";
import type { PrescriptionRequest } from "../../src/gen/trainingcore/v1/plugin_service.js";
import type {
  PrescribedEvent,
  SimulateProjectResponse,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { answerFor, event, liveProject, post, watch } from "../helpers/live-prescriptions.js";
import { call, jobsClient } from "../helpers/prescription-jobs.js";
import { createProject } from "../helpers/projects.js";

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error("the call succeeded");
}

function prefixOf(request: PrescriptionRequest) {
  if (request.input?.$case !== "casePrefix") throw new Error("not a case-prefix request");
  return request.input.value;
}

describeEachDialect("live prescriptions", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });

  const count = async (table: string) =>
    Number(((await env.core.core.store.db(table).count({ n: "*" })) as { n: unknown }[])[0]?.n);

  it("refuses events of a project that is not TRAINED, naming its status", async () => {
    await env.start();
    await env.connect("never", { prescribes: true });
    const project = await createProject(env.core.projects, { pluginKeys: ["never"] });
    const error = await refusal(
      post(jobsClient(env), project.id, [event("c1", "a", "2024-01-01")]),
    );
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toMatch(/is (PREPROCESSING|WAITING|TRAINING|CREATED)/);
    const missing = await refusal(post(jobsClient(env), 99_999, []));
    expect(missing.code).toBe(status.NOT_FOUND);
  });

  it("refuses a call with a bad event naming its index, column and value, and stores nothing", async () => {
    await env.start({ maxEventsPerPost: 3 });
    const { projectId, client } = await liveProject(env, ["k"]);
    const good = event("c1", "register", "2024-01-01T10:00:00Z");
    const noActivity = {
      attributes: { case: "c1", timestamp: "2024-01-01" },
      caseCompleted: false,
    };
    let error = await refusal(post(client, projectId, [good, noActivity]));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain("events[1]");
    expect(error.details).toContain('"activity" (ACTIVITY) is missing');
    const badTime = event("c1", "check", "yesterday-ish");
    error = await refusal(post(client, projectId, [good, good, badTime]));
    expect(error.details).toContain("events[2]");
    expect(error.details).toContain('"timestamp"');
    expect(error.details).toContain('"yesterday-ish"');
    error = await refusal(post(client, projectId, [good, good, good, good]));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain("CORE_MAX_EVENTS_PER_POST");
    expect(await count("stream_events")).toBe(0);
    expect(await count("stream_requests")).toBe(0);
  });

  it("returns the same ids for a repeated request_id and stores nothing twice", async () => {
    await env.start();
    const { projectId, client } = await liveProject(env, ["k"]);
    const events = [
      event("c1", "register", "2024-01-01T10:00:00Z"),
      event("c2", "a", "2024-01-02"),
    ];
    const first = await post(client, projectId, events, "post-1");
    expect(first).toHaveLength(2);
    expect(first[1]).toBeGreaterThan(first[0] as number);
    expect(await post(client, projectId, events, "post-1")).toEqual(first);
    expect(await count("stream_events")).toBe(2);
    expect(await count("stream_requests")).toBe(2);
    const next = await post(client, projectId, [event("c1", "check", "2024-01-01T11:00:00Z")]);
    expect(next[0]).toBeGreaterThan(first[1] as number);
  });

  it("sends a case's requests in order, one at a time, with the case's events so far, normalized", async () => {
    await env.start();
    const { projectId, client, plugins } = await liveProject(env, ["k"]);
    const k = plugins.get("k") as typeof plugins extends Map<string, infer P> ? P : never;
    const ids = await post(client, projectId, [
      event("c1", "register", "2024-01-01T10:00:00+01:00"),
      event("c1", "check", "2024-01-01T11:00:00Z"),
      event("c2", "register", "2024-01-02T07:00:00Z"),
    ]);
    const first = await k.prescriptionRequests.next();
    const other = await k.prescriptionRequests.next();
    expect(prefixOf(first)).toEqual({
      caseId: "c1",
      events: [
        expect.objectContaining({
          CASE_ID: "c1",
          ACTIVITY: "register",
          TIMESTAMP: "2024-01-01T09:00:00.000Z",
        }),
      ],
    });
    expect(prefixOf(other).caseId).toBe("c2");
    // c1's second event waits for the answer to its first.
    await expect(k.prescriptionRequests.next(300)).rejects.toThrow();
    expect((await k.answer(first.requestId, answerFor("c1", "check"), true)).code).toBe(0);
    const second = await k.prescriptionRequests.next();
    expect(prefixOf(second).events.map((e) => e.ACTIVITY)).toEqual(["register", "check"]);
    expect((await k.answer(second.requestId, answerFor("c1", "end"), true)).code).toBe(0);
    expect((await k.answer(other.requestId, answerFor("c2", "check"), true)).code).toBe(0);
    // An exact repeat is acked; another case is refused; anything else after last too.
    expect((await k.answer(second.requestId, answerFor("c1", "end"), true)).code).toBe(0);
    const changed = await k.answer(second.requestId, answerFor("c1", "other"), true);
    expect(changed.code).toBe(status.FAILED_PRECONDITION);

    const reader = watch(client, projectId);
    const seen = [
      await reader.events.next(),
      await reader.events.next(),
      await reader.events.next(),
    ];
    reader.cancel();
    expect(seen.map((e) => e.eventId)).toEqual(ids);
    expect(seen.map((e) => e.prescriptions.k?.output)).toEqual(["check", "end", "check"]);
    expect(seen[0]).toMatchObject({
      caseId: "c1",
      attributes: { case: "c1", activity: "register" },
      missing: [],
      caseCompleted: false,
    });
  });

  it("a reader reconnecting with its cursor misses nothing and sees nothing twice", async () => {
    await env.start();
    const { projectId, client, plugins } = await liveProject(env, ["k"]);
    const k = [...plugins.values()][0];
    if (!k) throw new Error("no plugin");
    let stopped = false;
    const answering = (async () => {
      while (!stopped) {
        const request = await k.prescriptionRequests.next(100).catch(() => undefined);
        if (request)
          await k.answer(request.requestId, answerFor(prefixOf(request).caseId, 1), true);
      }
    })();
    const posted: number[] = [];
    for (let i = 0; i < 4; i++) {
      posted.push(
        ...(await post(client, projectId, [
          event(`c${i}`, "a", "2024-01-01"),
          event(`d${i}`, "a", "2024-01-01"),
        ])),
      );
    }
    const first = watch(client, projectId);
    const seen = [await first.events.next(), await first.events.next(), await first.events.next()];
    first.cancel();
    const cursor = seen[2]?.eventId ?? 0;
    // More events while no reader is connected, then a case that completes.
    posted.push(
      ...(await post(client, projectId, [
        event("c0", "b", "2024-01-02"),
        event("c0", "z", "2024-01-03", true),
      ])),
    );
    const second = watch(client, projectId, cursor);
    while (seen.length < posted.length) seen.push(await second.events.next());
    await expect(second.events.next(200)).rejects.toThrow();
    second.cancel();
    expect(seen.map((e) => e.eventId)).toEqual(posted);
    const last = seen.at(-1);
    expect(last).toMatchObject({ caseCompleted: true, prescriptions: {}, missing: [] });
    stopped = true;
    await answering;
  });

  it("lists a plugin that never answers in `missing` after the deadline", async () => {
    await env.start({ streamPrescriptionTimeoutMs: 400 });
    const { projectId, client, plugins } = await liveProject(env, ["quick", "silent"]);
    const quick = plugins.get("quick");
    if (!quick) throw new Error("no plugin");
    const [id] = await post(client, projectId, [event("c1", "register", "2024-01-01")]);
    const request = await quick.prescriptionRequests.next();
    expect((await quick.answer(request.requestId, answerFor("c1", "check"), true)).code).toBe(0);
    const reader = watch(client, projectId);
    const seen = await reader.events.next();
    reader.cancel();
    expect(seen.eventId).toBe(id);
    expect(seen.missing).toEqual(["silent"]);
    expect(seen.prescriptions.quick?.output).toBe("check");
    expect(seen.prescriptions.silent?.output).toBeNull();
    expect(seen.prescriptions.silent?.detail).toContain("CORE_STREAM_PRESCRIPTION_TIMEOUT_MS");
  });

  it("hands a killed instance's requests to the other instance of the key", async () => {
    await env.start();
    const { projectId, client, plugins } = await liveProject(env, ["k"]);
    const first = plugins.get("k");
    if (!first) throw new Error("no plugin");
    const [id] = await post(client, projectId, [event("c1", "register", "2024-01-01")]);
    const request = await first.prescriptionRequests.next();
    const second = await env.connect("k", { prescribes: true });
    first.cancel();
    const again = await second.prescriptionRequests.next();
    expect(again.requestId).toBe(request.requestId);
    expect((await second.answer(again.requestId, answerFor("c1", "x"), true)).code).toBe(0);
    const reader = watch(client, projectId);
    const seen = await reader.events.next();
    reader.cancel();
    expect(seen).toMatchObject({ eventId: id, missing: [] });
    expect(seen.prescriptions.k?.output).toBe("x");
  });

  it("replays the holdout set as new cases, each case's last event completed, and clears events", async () => {
    await env.start();
    const log = ["case,activity,timestamp,who"];
    for (let c = 0; c < 6; c++) {
      log.push(`h${c},register,2024-01-0${c + 1}T10:00:00Z,ann`);
      log.push(`h${c},check,2024-01-0${c + 1}T11:00:00Z,bob`);
    }
    const { projectId, client, plugins } = await liveProject(env, ["k"], {
      dataset: `${log.join("\n")}\n`,
      holdoutFraction: 0.5,
    });
    const k = plugins.get("k");
    if (!k) throw new Error("no plugin");
    let stopped = false;
    const answering = (async () => {
      while (!stopped) {
        const request = await k.prescriptionRequests.next(100).catch(() => undefined);
        if (request)
          await k.answer(request.requestId, answerFor(prefixOf(request).caseId, 1), true);
      }
    })();
    onTestFinished(async () => {
      stopped = true;
      await answering;
    });
    const replayed: PrescribedEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.simulateProject({ projectId, eventsPerSecond: 0, maxEvents: 0 });
      stream.on("data", (message: SimulateProjectResponse) => {
        if (message.event) replayed.push(message.event);
      });
      stream.on("error", reject);
      stream.on("end", resolve);
    });
    const holdout = Number(
      (await env.core.core.store.db("projects").where({ id: projectId }).first()).holdout_rows,
    );
    expect(holdout).toBeGreaterThan(0);
    expect(replayed).toHaveLength(holdout);
    const ids = replayed.map((e) => e.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const cases = new Set(replayed.map((e) => e.caseId));
    for (const caseId of cases) {
      expect(caseId).toMatch(/^sim-[0-9a-f]{8}-h\d$/);
      const ofCase = replayed.filter((e) => e.caseId === caseId);
      expect(ofCase.map((e) => e.caseCompleted)).toEqual([false, true]);
      expect(ofCase[0]?.prescriptions.k?.output).toBe(1);
      expect(ofCase[1]?.prescriptions).toEqual({});
    }
    expect(await count("stream_events")).toBe(holdout);
    await call((done) => client.clearEvents({ projectId }, done));
    expect(await count("stream_events")).toBe(0);
    expect(await count("stream_requests")).toBe(0);
  });

  it("keeps CORE_EVENT_RETENTION events, oldest deleted first; an older cursor is refused naming the oldest kept", async () => {
    await env.start({ eventRetention: 3 });
    const { projectId, client } = await liveProject(env, ["k"]);
    const done = [0, 1, 2, 3, 4].map((i) => event(`c${i}`, "z", "2024-01-01", true));
    const ids = [
      ...(await post(client, projectId, done.slice(0, 2))),
      ...(await post(client, projectId, done.slice(2))),
    ];
    const kept = await env.core.core.store.db("stream_events").orderBy("id").pluck("id");
    expect(kept.map(Number)).toEqual(ids.slice(2));
    const stale = watch(client, projectId, ids[0]);
    const refused = await new Promise<ServiceError>((resolve) => stale.stream.on("error", resolve));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.details).toContain(`the oldest kept is ${ids[2]}`);
    const fresh = watch(client, projectId, ids[1]);
    expect((await fresh.events.next()).eventId).toBe(ids[2]);
    fresh.cancel();
  });
});
