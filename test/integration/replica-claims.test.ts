/**
 * The database side of several replicas (PostgreSQL): delivery leases, preprocessing claims,
 * orphaned blobs, and the notification connection with its leader lock.
 */
import pg from "pg";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { PgListener } from "../../src/store/pg-listener.js";
import { createBlob } from "../../src/store/sql/blobs.js";
import {
  type ClaimContext,
  claimNextDeliveries,
  claimNextDeliveriesSql,
  claimPreprocessing,
  deleteOrphanedBlobs,
  listUnclaimedPreprocessing,
  releaseEverything,
  releaseMemberships,
} from "../../src/store/sql/claims.js";
import { insertMemberships } from "../../src/store/sql/memberships.js";
import { insertProject } from "../../src/store/sql/projects.js";
import { beatReplica } from "../../src/store/sql/replicas.js";
import { dialects } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";
import { projectRow } from "../helpers/rows.js";

const silent = pino({ level: "silent" });
const ttlMs = 1000;

describe.skipIf(!dialects.includes("postgres"))("replica claims [postgres]", () => {
  const fresh = freshStorePerTest("postgres");

  /** A replica that beat at `beatMs`; its claim context as seen at `nowMs`. */
  async function replica(id: string, beatMs: number, nowMs = Date.now()): Promise<ClaimContext> {
    await beatReplica(fresh.store.db, {
      id,
      address: "",
      started_ms: beatMs,
      heartbeat_ms: beatMs,
    });
    return { replicaId: id, nowMs, liveCutoffMs: nowMs - ttlMs };
  }

  /** The ids claimNextDeliveries gives `ctx` for key "k". */
  async function claimNext(
    ctx: ClaimContext,
    count: number,
    held: readonly number[],
    untilMs: number,
  ): Promise<number[]> {
    const rows = await claimNextDeliveries(fresh.store.db, ctx, "k", count, held, untilMs);
    return rows.map((row) => row.id);
  }

  async function seedProject(
    status: string,
    waiting: number,
  ): Promise<{ project: number; ids: number[] }> {
    const now = Date.now();
    const rawId = `raw_${Math.random().toString(16).slice(2)}`;
    await createBlob(fresh.store.db, rawId, now);
    await fresh.store.db("blobs").where({ id: rawId }).update({ complete: true });
    const project = await insertProject(
      fresh.store.db,
      projectRow(["k"], rawId, { status, created_ms: now, updated_ms: now }),
    );
    if (waiting === 0) return { project, ids: [] };
    await fresh.store
      .db("projects")
      .where({ id: project })
      .update({ training_blob_id: rawId, preprocessed_ms: now });
    const rows = await insertMemberships(
      fresh.store.db,
      Array.from({ length: waiting }, () => ({
        project_id: project,
        plugin_key: "k",
        status: "WAITING",
        model_name: "",
        error: "",
        parameters_json: "{}",
        additional_info_json: "{}",
        deadline_ms: null,
        created_ms: now,
        updated_ms: now,
      })),
    );
    return { project, ids: rows.map((row) => row.id) };
  }

  it("leases each WAITING membership to one replica when two race for all of them", async () => {
    const { ids } = await seedProject("PREPROCESSING", 40);
    const a = await replica("a", Date.now());
    const b = await replica("b", Date.now());
    const until = Date.now() + 60_000;
    for (let round = 0; round < 5; round++) {
      const [gotA, gotB] = await Promise.all([
        claimNext(a, 40, [], until),
        claimNext(b, 40, [], until),
      ]);
      expect(gotA.filter((id) => gotB.includes(id))).toEqual([]);
      expect([...gotA, ...gotB].sort((x, y) => x - y)).toEqual(ids);
      await releaseEverything(fresh.store.db, round % 2 === 0 ? "a" : "b");
      await releaseEverything(fresh.store.db, round % 2 === 0 ? "b" : "a");
    }
  });

  it("reads a key's WAITING memberships through their index, not past finished ones", async () => {
    // Half of them finished, half waiting: without the index PostgreSQL either walked every
    // row in id order or sorted all the waiting ones for each hand-out of a few.
    const { ids } = await seedProject("TRAINING", 2000);
    await fresh.store
      .db("memberships")
      .whereIn("id", ids.slice(0, 1000))
      .update({ status: "TRAINED" });
    const a = await replica("a", Date.now());
    const client = new pg.Client({ connectionString: fresh.database.url });
    await client.connect();
    try {
      await client.query("ANALYZE memberships");
      const params = ["a", Date.now() + 60_000, "k", [], a.nowMs, a.liveCutoffMs, 16];
      // Both the plan of the first executions and the generic plan a prepared statement may use.
      for (const mode of ["force_custom_plan", "force_generic_plan"]) {
        await client.query(`SET plan_cache_mode = ${mode}`);
        const plan = await client.query(`EXPLAIN (FORMAT JSON) ${claimNextDeliveriesSql}`, params);
        expect(JSON.stringify(plan.rows), mode).toContain(
          '"Index Name":"memberships_waiting_by_key"',
        );
      }
    } finally {
      await client.end();
    }
    expect(await claimNext(a, 16, [], Date.now() + 60_000)).toEqual(ids.slice(1000, 1016));
  });

  it("returns what TrainingData needs, oldest first, at most the count asked for", async () => {
    const { project, ids } = await seedProject("PREPROCESSING", 3);
    const a = await replica("a", Date.now());
    const rows = await claimNextDeliveries(fresh.store.db, a, "k", 2, [], Date.now() + 60_000);
    expect(rows).toEqual(
      ids.slice(0, 2).map((id) => ({
        id,
        project_id: project,
        parameters_json: "{}",
        additional_info_json: "{}",
        training_blob_id: expect.stringMatching(/^raw_/),
        effective_definition_json: null,
      })),
    );
    expect(await claimNextDeliveries(fresh.store.db, a, "other", 5, [], Date.now())).toEqual([]);
  });

  it("hides memberships leased by a live replica, and frees them when it dies or its lease ends", async () => {
    const { ids } = await seedProject("PREPROCESSING", 3);
    const now = Date.now();
    const a = await replica("a", now);
    const b = await replica("b", now);
    expect(await claimNext(a, 2, [], now + 60_000)).toEqual(ids.slice(0, 2));
    expect(await claimNext(b, 10, [], now + 60_000)).toEqual([ids[2]]);
    // a's own leases stay leasable by a (for another instance), unless it says it holds them.
    expect(await claimNext(a, 10, [], now + 60_000)).toEqual(ids.slice(0, 2));
    expect(await claimNext(a, 10, ids.slice(0, 2), now + 60_000)).toEqual([]);

    // a gives one back; b may take it.
    await releaseMemberships(fresh.store.db, "a", [ids[0] as number]);
    expect(await claimNext(b, 10, [ids[2] as number], now + 60_000)).toEqual([ids[0]]);

    // a stops beating: seen two TTLs later, its remaining lease is b's for the taking.
    const later: ClaimContext = { ...b, nowMs: now + 2 * ttlMs, liveCutoffMs: now + ttlMs };
    await beatReplica(fresh.store.db, {
      id: "b",
      address: "",
      started_ms: now,
      heartbeat_ms: now + 2 * ttlMs,
    });
    expect(await claimNext(later, 10, [ids[0] as number, ids[2] as number], now + 60_000)).toEqual([
      ids[1],
    ]);

    // An expired lease is free even while its replica lives.
    await releaseEverything(fresh.store.db, "b");
    const c = await replica("c", Date.now());
    expect(await claimNext(c, 10, [], 0)).toEqual(ids); // leased until 0: already expired
    await releaseMemberships(fresh.store.db, "b", ids); // none is b's: no effect
    const current = await replica("b", Date.now());
    expect(await claimNext(current, 10, [], Date.now() + 60_000)).toEqual(ids);
  });

  it("lets exactly one replica claim a project's preprocessing, and another take it over when it dies", async () => {
    const { project } = await seedProject("PREPROCESSING", 0);
    const now = Date.now();
    const a = await replica("a", now);
    const b = await replica("b", now);
    const results = await Promise.all([
      claimPreprocessing(fresh.store.db, a, project),
      claimPreprocessing(fresh.store.db, b, project),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const [owner, other] = results[0] ? [a, b] : [b, a];
    expect(await claimPreprocessing(fresh.store.db, owner, project)).toBe(true);
    expect(await listUnclaimedPreprocessing(fresh.store.db, other)).toEqual([]);
    expect(await listUnclaimedPreprocessing(fresh.store.db, owner)).toEqual([project]);

    const later: ClaimContext = { ...other, nowMs: now + 2 * ttlMs, liveCutoffMs: now + ttlMs };
    await beatReplica(fresh.store.db, {
      id: other.replicaId,
      address: "",
      started_ms: now,
      heartbeat_ms: now + 2 * ttlMs,
    });
    expect(await listUnclaimedPreprocessing(fresh.store.db, later)).toEqual([project]);
    expect(await claimPreprocessing(fresh.store.db, later, project)).toBe(true);
    expect(await claimPreprocessing(fresh.store.db, owner, project)).toBe(false);

    // A project that finished preprocessing is claimed by nobody.
    await fresh.store.db("projects").where({ id: project }).update({ preprocessed_ms: now });
    expect(await claimPreprocessing(fresh.store.db, later, project)).toBe(false);
  });

  it("gives every claim back on leave", async () => {
    const { ids } = await seedProject("PREPROCESSING", 2);
    const { project } = await seedProject("PREPROCESSING", 0);
    const now = Date.now();
    const a = await replica("a", now);
    const b = await replica("b", now);
    expect(await claimNext(a, 2, [], now + 60_000)).toEqual(ids);
    expect(await claimPreprocessing(fresh.store.db, a, project)).toBe(true);
    expect(await claimNext(b, 2, [], now + 60_000)).toEqual([]);
    await releaseEverything(fresh.store.db, "a");
    expect(await claimNext(b, 2, [], now + 60_000)).toEqual(ids);
    expect(await claimPreprocessing(fresh.store.db, b, project)).toBe(true);
  });

  it("removes incomplete blobs of replicas that are gone, and nothing else", async () => {
    const now = Date.now();
    const live = await replica("live", now);
    await replica("dead", now - 10 * ttlMs);
    const blob = async (id: string, writer: string | null, complete: boolean) => {
      await createBlob(fresh.store.db, id, now);
      await fresh.store.db("blobs").where({ id }).update({ writer_replica: writer, complete });
      await fresh.store
        .db("blob_chunks")
        .insert({ blob_id: id, seq: 0, start_offset: 0, data: Buffer.from("x") });
    };
    await blob("live_incomplete", "live", false);
    await blob("dead_incomplete", "dead", false);
    await blob("dead_complete", "dead", true);
    await blob("unowned_incomplete", null, false);
    expect(await deleteOrphanedBlobs(fresh.store.db, live, false)).toBe(1);
    const left = (await fresh.store.db("blobs").select("id").orderBy("id")).map((r) => r.id);
    expect(left).toEqual(["dead_complete", "live_incomplete", "unowned_incomplete"]);
    expect(await fresh.store.db("blob_chunks").where({ blob_id: "dead_incomplete" })).toEqual([]);
    expect(await deleteOrphanedBlobs(fresh.store.db, live, true)).toBe(1);
  });

  it("delivers notifications, holds a leader lock alone, and hands it over when its holder's connection ends", async () => {
    const received: string[] = [];
    let gaps = 0;
    let notified: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      notified = resolve;
    });
    let reconnected: () => void = () => {};
    const cameBack = new Promise<void>((resolve) => {
      reconnected = resolve;
    });
    const listener = (onNotification: (payload: string) => void) =>
      new PgListener({
        url: fresh.database.url,
        channel: "test_channel",
        logger: silent,
        onNotification,
        onGap: () => {
          gaps++;
          reconnected();
        },
      });
    const first = listener((payload) => {
      received.push(payload);
      notified();
    });
    const second = listener(() => {});
    await first.start();
    await second.start();
    try {
      await fresh.store.db.raw("SELECT pg_notify('test_channel', 'hello')");
      await arrived;
      expect(received).toEqual(["hello"]);

      expect(await first.tryLock(42)).toBe(true);
      expect(await second.tryLock(42)).toBe(false);
      expect(await first.tryLock(42)).toBe(true);

      // The holder's connection is cut (as when its process dies): the lock is free.
      await fresh.store.db.raw(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 42",
      );
      // PostgreSQL frees the lock once the backend has exited: poll the lock, not a clock.
      let taken = false;
      for (let attempt = 0; attempt < 200 && !taken; attempt++) {
        taken = await second.tryLock(42);
        if (!taken) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(taken).toBe(true);
      await cameBack;
      expect(first.holds(42)).toBe(false);
    } finally {
      await first.stop();
      await second.stop();
    }
    // The cut connection came back (and said it may have missed notifications).
    expect(gaps).toBe(1);
  });
});
