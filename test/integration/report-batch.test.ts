// Set-based group commit of plugin reports: a batch is applied with a few statements in all,
// and must give exactly what applying its reports one at a time gives.
import pg from "pg";
import pino from "pino";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { ChangeFeed } from "../../src/app/change-feed/change-feed.js";
import { CoreMetrics } from "../../src/app/metrics/core-metrics.js";
import { GroupCommitter } from "../../src/app/reports/group-commit.js";
import type { ReportResult } from "../../src/app/reports/plugin-reports.js";
import type { ReportInput } from "../../src/app/reports/report-checks.js";
import type { PluginReport } from "../../src/domain/plugin-transitions.js";
import { deriveProjectStatus } from "../../src/domain/project-status.js";
import type { PluginStatus } from "../../src/domain/statuses.js";
import { openStore, type Store } from "../../src/store/connect.js";
import {
  createTestDatabaseUrl,
  type Dialect,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { testMetrics } from "../helpers/metrics.js";
import { projectRow } from "../helpers/rows.js";

const silent = pino({ level: "silent" });
const timeouts = { dataReportMs: 60_000, trainingStartMs: 60_000, trainingMs: 60_000 };
const statuses: PluginStatus[] = [
  "WAITING",
  "WAITING",
  "PREPROCESSING",
  "TRAINING",
  "TRAINED",
  "NOT_APPLICABLE",
  "ERROR",
];

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seeded {
  projects: { id: number; members: { id: number; key: string }[] }[];
}

/** Projects with memberships in random statuses; the same seed gives the same rows and ids. */
async function seed(store: Store, rand: () => number): Promise<Seeded> {
  const now = Date.now();
  await store.db("blobs").insert({
    id: "raw_batch",
    file_name: "",
    size_bytes: 0,
    complete: true,
    created_ms: now,
  });
  const seeded: Seeded = { projects: [] };
  for (let p = 0; p < 6; p++) {
    const keys = ["k0", "k1", "k2", "k3"].slice(0, 2 + Math.floor(rand() * 3));
    const states = keys.map((key) => ({
      key,
      status: statuses[Math.floor(rand() * statuses.length)] as PluginStatus,
      error: "",
    }));
    for (const state of states) if (state.status === "ERROR") state.error = "earlier failure";
    const derived = deriveProjectStatus(states);
    const [row] = await store
      .db("projects")
      .insert(
        projectRow(keys, "raw_batch", {
          name: `p${p}`,
          status: derived.status,
          error: derived.error,
          created_ms: now,
          updated_ms: now,
        }),
      )
      .returning("id");
    const projectId = Number(typeof row === "object" ? row.id : row);
    const members: { id: number; key: string }[] = [];
    for (const state of states) {
      const [inserted] = await store
        .db("memberships")
        .insert({
          project_id: projectId,
          plugin_key: state.key,
          status: state.status,
          model_name: state.status === "TRAINED" ? "m1" : "",
          error: state.error,
          parameters_json: "{}",
          additional_info_json: "{}",
          deadline_ms: null,
          created_ms: now,
          updated_ms: now,
        })
        .returning("id");
      members.push({
        id: Number(typeof inserted === "object" ? inserted.id : inserted),
        key: state.key,
      });
    }
    seeded.projects.push({ id: projectId, members });
  }
  return seeded;
}

interface Sent {
  key: string;
  input: ReportInput;
}

/** Reports of every kind: good ones, duplicates, refusals, on wrong ids and for wrong keys. */
function reports(seeded: Seeded, rand: () => number, count: number): Sent[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const kinds: PluginReport[] = [
    { kind: "data", applicable: true },
    { kind: "data", applicable: true },
    { kind: "data", applicable: false },
    { kind: "training-start" },
    { kind: "training-start" },
    { kind: "model-name", modelName: "m1" },
    { kind: "model-name", modelName: "m2" },
    { kind: "model-name", modelName: " " },
    { kind: "error", detail: "boom" },
  ];
  const sent: Sent[] = [];
  for (let i = 0; i < count; i++) {
    const project = pick(seeded.projects);
    const member = pick(project.members);
    const roll = rand();
    const projectId = roll < 0.04 ? 999_999 : roll < 0.06 ? 0 : project.id;
    const pluginId =
      roll > 0.96 ? pick(pick(seeded.projects).members).id : roll > 0.94 ? 999_999 : member.id;
    const key = rand() < 0.05 ? "k-other" : member.key;
    sent.push({ key, input: { projectId, pluginId, report: pick(kinds) } });
  }
  return sent;
}

async function snapshot(store: Store) {
  const memberships = await store
    .db("memberships")
    .select("id", "status", "model_name", "error", "deadline_ms")
    .orderBy("id");
  const projects = await store.db("projects").select("id", "status", "error").orderBy("id");
  const events = await store
    .db("events")
    .select(
      "project_id",
      "membership_id",
      "plugin_key",
      "project_status",
      "plugin_status",
      "detail",
    )
    .orderBy("id");
  return {
    memberships: memberships.map((a: { deadline_ms: number | null }) => ({
      ...a,
      deadline_ms: a.deadline_ms !== null,
    })),
    projects,
    events,
  };
}

class BatchSizes extends CoreMetrics {
  readonly sizes: number[] = [];
  override transaction(seconds: number, batchSize: number, committed: boolean): void {
    if (committed) this.sizes.push(batchSize);
    super.transaction(seconds, batchSize, committed);
  }
}

function feedRecorder() {
  const feed = new ChangeFeed();
  const projects = new Set<number>();
  const leftWaiting: number[] = [];
  feed.onMembershipLeftWaiting((_key, id) => leftWaiting.push(id));
  return {
    feed,
    watch: (ids: number[]) => {
      for (const id of ids) feed.onProjectChanged(id, () => projects.add(id));
    },
    projects,
    leftWaiting,
  };
}

describeEachDialect("plugin reports applied as a batch", (dialect: Dialect) => {
  const databases: TestDatabase[] = [];
  const stores: Store[] = [];

  async function freshStore(): Promise<Store> {
    const database = await createTestDatabaseUrl(dialect);
    databases.push(database);
    const store = await openStore(database.url);
    stores.push(store);
    return store;
  }

  beforeEach(() => {
    databases.length = 0;
    stores.length = 0;
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const store of stores) await store.close();
    for (const database of databases) await database.drop();
  });

  for (const seedValue of [1, 2, 3]) {
    it(`gives the results, rows and events of one report at a time (seed ${seedValue})`, async () => {
      const [batched, alone] = [await freshStore(), await freshStore()];
      const seededA = await seed(batched, random(seedValue));
      const seededB = await seed(alone, random(seedValue));
      expect(seededB).toEqual(seededA);
      const sent = reports(seededA, random(seedValue * 1000), 150);
      const projectIds = seededA.projects.map((p) => p.id);

      // All reports queued in one turn of the event loop: one batch, one transaction.
      const metrics = new BatchSizes();
      const a = feedRecorder();
      a.watch(projectIds);
      const committer = new GroupCommitter({ db: batched.db, logger: silent, metrics });
      const roundTrips = vi.spyOn(pg.Client.prototype, "query");
      const batchResults = await Promise.all(
        sent.map((s) => committer.report({ feed: a.feed, timeouts }, s.key, s.input)),
      );
      const statementsInBatch = roundTrips.mock.calls.length;
      roundTrips.mockRestore();
      // Malformed reports are answered at once; the others went in one transaction.
      const wellFormed = batchResults.filter((r) => r.code !== "INVALID_ARGUMENT").length;
      expect(metrics.sizes).toEqual([wellFormed]);

      const b = feedRecorder();
      b.watch(projectIds);
      const one = new GroupCommitter({ db: alone.db, logger: silent, metrics: testMetrics() });
      const aloneResults: ReportResult[] = [];
      for (const s of sent) {
        aloneResults.push(await one.report({ feed: b.feed, timeouts }, s.key, s.input));
      }

      expect(batchResults).toEqual(aloneResults);
      expect(new Set(batchResults.map((r) => r.code))).toEqual(
        new Set([
          "OK",
          "INVALID_ARGUMENT",
          "NOT_FOUND",
          "PERMISSION_DENIED",
          "FAILED_PRECONDITION",
        ]),
      );
      expect(await snapshot(batched)).toEqual(await snapshot(alone));
      expect([...a.projects].sort()).toEqual([...b.projects].sort());
      expect(a.leftWaiting).toEqual(b.leftWaiting);
      if (dialect === "postgres") {
        // BEGIN, lock and read the projects, read their memberships, one update per table,
        // one insert of the events, COMMIT: not ~5 statements per report.
        expect(statementsInBatch).toBeLessThanOrEqual(7);
      }
    });
  }

  it("commits a batch's reports when another unit of the batch throws", async () => {
    const store = await freshStore();
    const seeded = await seed(store, random(7));
    const feed = new ChangeFeed();
    const committer = new GroupCommitter({ db: store.db, logger: silent, metrics: testMetrics() });
    const project = seeded.projects[0] as Seeded["projects"][number];
    const member = project.members[0] as { id: number; key: string };
    await store.db("memberships").where({ id: member.id }).update({ status: "TRAINING" });
    const failing = committer.run(async ({ trx }) => {
      await trx("plugins").insert({ key: "bad" }); // NOT NULL columns missing
    });
    const report = committer.report({ feed, timeouts }, member.key, {
      projectId: project.id,
      pluginId: member.id,
      report: { kind: "error", detail: "stopped" },
    });
    const [failed, reported] = await Promise.allSettled([failing, report]);
    expect(failed.status).toBe("rejected");
    expect(reported.status).toBe("fulfilled");
    expect((reported as PromiseFulfilledResult<ReportResult>).value).toEqual({
      code: "OK",
      changed: true,
      projectStatus: "ERROR",
    });
    const after = await store.db("memberships").where({ id: member.id }).first();
    expect(after).toMatchObject({ status: "ERROR", error: "stopped" });
  });

  it("rolls a failing batch of reports back and retries it one report at a time", async () => {
    const store = await freshStore();
    const seeded = await seed(store, random(11));
    // Storing the event of a model named "poison" fails: that report's statement throws.
    if (dialect === "sqlite") {
      await store.db.raw(
        `CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.detail = 'poison'
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END`,
      );
    } else {
      await store.db.raw(
        `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.detail = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()`,
      );
    }
    // One member of each of three projects, all TRAINING.
    const members = seeded.projects.slice(0, 3).map((project) => ({
      projectId: project.id,
      ...(project.members[0] as { id: number; key: string }),
    }));
    await store
      .db("memberships")
      .whereIn(
        "id",
        members.map((m) => m.id),
      )
      .update({ status: "TRAINING", model_name: "", error: "" });
    const before = await snapshot(store);
    const metrics = new BatchSizes();
    const committer = new GroupCommitter({ db: store.db, logger: silent, metrics });
    const feed = new ChangeFeed();
    const settled = await Promise.allSettled(
      members.map((m, i) =>
        committer.report({ feed, timeouts }, m.key, {
          projectId: m.projectId,
          pluginId: m.id,
          report: { kind: "model-name", modelName: i === 1 ? "poison" : `m${i}` },
        }),
      ),
    );
    expect(settled.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/poisoned/);
    // The batch of three failed; the two good reports committed alone.
    expect(metrics.sizes).toEqual([1, 1]);
    const after = await snapshot(store);
    const byId = (rows: object[], id: number) => rows.find((r) => (r as { id: number }).id === id);
    expect(byId(after.memberships, members[0]?.id as number)).toMatchObject({
      status: "TRAINED",
      model_name: "m0",
    });
    expect(byId(after.memberships, members[1]?.id as number)).toEqual(
      byId(before.memberships, members[1]?.id as number),
    );
    expect(byId(after.memberships, members[2]?.id as number)).toMatchObject({
      status: "TRAINED",
      model_name: "m2",
    });
    const newEvents = after.events.slice(before.events.length);
    expect(newEvents.some((e: { detail: string }) => e.detail === "poison")).toBe(false);
    expect(
      newEvents
        .filter((e: { membership_id: number | null }) => e.membership_id !== null)
        .map((e: { membership_id: number }) => e.membership_id),
    ).toEqual([members[0]?.id, members[2]?.id]);
  });
});
