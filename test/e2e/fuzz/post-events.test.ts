/**
 * Random PostEvents calls against the real server (both dialects), with fast-check: events with
 * random attributes (the log's columns or others; valid, empty, unparsable and NUL-holding
 * values), random `case_completed`, random and repeated `request_id`s, up to past the limit.
 * Checked against a model: a call either stores all its events (ids increasing, after every id
 * before) or is refused INVALID_ARGUMENT storing nothing; a repeated request_id returns the
 * first ids; never another code; the core still serves afterwards.
 *
 * FUZZ_SEED reproduces a run; FUZZ_RUNS and FUZZ_TIME_MS scale a longer session.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import fc from "fast-check";
import { expect, it } from "vitest";
import type { Event } from "../../../src/gen/trainingcore/v1/prescription_service.js";
import { describeEachDialect } from "../../helpers/databases.js";
import { freshCorePerTest } from "../../helpers/fresh-core.js";
import { numRuns, seed, timeLimitMs } from "../../helpers/fuzz/settings.js";
import { liveProject, post } from "../../helpers/live-prescriptions.js";

const maxEvents = 8;

const valueArb = fc.oneof(
  fc.constantFrom("2024-01-01T10:00:00Z", "2024-02-29", "1700000000000", "", " ", "nope"),
  fc.constantFrom("register", "check", "c1", "c2", "a\u0000b", "ünïcødé ✓"),
  fc.string({ maxLength: 20 }),
);
const attributesArb = fc
  .dictionary(
    fc.constantFrom("case", "activity", "timestamp", "who", "extra", "\u0000"),
    valueArb,
    {
      maxKeys: 6,
    },
  )
  .map((attributes) => ({ ...attributes }));
const eventArb: fc.Arbitrary<Event> = fc.record({
  attributes: fc.oneof(
    attributesArb,
    // Mostly valid events, so stored calls are common.
    fc.record({
      case: fc.constantFrom("c1", "c2", "c3"),
      activity: fc.constantFrom("register", "check"),
      timestamp: fc.constantFrom("2024-01-01T10:00:00Z", "2024-01-02", "2024-01-03T00:00:00+02:00"),
      who: fc.constantFrom("ann", "bob", ""),
    }),
  ),
  caseCompleted: fc.boolean(),
});
const callArb = fc.record({
  events: fc.array(eventArb, { maxLength: maxEvents + 2 }),
  requestId: fc.oneof(
    fc.constant(""),
    fc.constantFrom("r1", "r2", "r3"),
    fc.string({ maxLength: 210 }),
  ),
});

describeEachDialect("fuzz: PostEvents", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });

  it("stores a call whole or refuses it INVALID_ARGUMENT storing nothing; repeats return the first ids", async () => {
    await env.start({ maxEventsPerPost: maxEvents, streamPrescriptionTimeoutMs: 60_000 });
    const { projectId, client } = await liveProject(env, ["k"]);
    const db = env.core.core.store.db;
    const count = async () =>
      Number(((await db("stream_events").count({ n: "*" })) as { n: unknown }[])[0]?.n);
    const byRequestId = new Map<string, number[]>();
    let lastId = 0;
    await fc.assert(
      fc.asyncProperty(callArb, async ({ events, requestId }) => {
        const before = await count();
        let ids: number[] | undefined;
        let refused: ServiceError | undefined;
        try {
          ids = await post(client, projectId, events, requestId);
        } catch (error) {
          refused = error as ServiceError;
        }
        if (refused) {
          expect(status[refused.code]).toBe("INVALID_ARGUMENT");
          expect(await count()).toBe(before);
          return;
        }
        const stored = ids as number[];
        const first = requestId === "" ? undefined : byRequestId.get(requestId);
        if (first) {
          expect(stored).toEqual(first);
          expect(await count()).toBe(before);
          return;
        }
        expect(stored).toHaveLength(events.length);
        for (const id of stored) {
          expect(id).toBeGreaterThan(lastId);
          lastId = id;
        }
        expect(await count()).toBe(before + events.length);
        if (requestId !== "" && stored.length > 0) byRequestId.set(requestId, stored);
      }),
      { numRuns, seed, interruptAfterTimeLimit: timeLimitMs },
    );
    // Still serving: a valid call goes through.
    const [id] = await post(client, projectId, [
      { attributes: { case: "c9", activity: "a", timestamp: "2024-01-01" }, caseCompleted: true },
    ]);
    expect(id).toBeGreaterThan(lastId);
  });
});
