import pino from "pino";
import { expect, it } from "vitest";
import { ChangeFeed } from "../../src/app/change-feed/change-feed.js";
import { GroupCommitter } from "../../src/app/reports/group-commit.js";
import { applyReport } from "../../src/app/reports/plugin-reports.js";
import { openStore, type Store } from "../../src/store/connect.js";
import { createBlob } from "../../src/store/sql/blobs.js";
import { insertMemberships } from "../../src/store/sql/memberships.js";
import { insertProject } from "../../src/store/sql/projects.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";
import { sampleOf, testMetrics } from "../helpers/metrics.js";
import { projectRow } from "../helpers/rows.js";

const silent = pino({ level: "silent" });
const timeouts = { dataReportMs: 60_000, trainingStartMs: 60_000, trainingMs: 60_000 };

/** A project with `keys.length` memberships, all TRAINING. */
async function seedProject(
  store: Store,
  keys: string[],
  round: number,
): Promise<{ projectId: number; pluginIds: number[] }> {
  const now = Date.now();
  const rawId = `raw_${round}`;
  await createBlob(store.db, rawId, now);
  const projectId = await insertProject(
    store.db,
    projectRow(keys, rawId, { created_ms: now, updated_ms: now }),
  );
  const rows = await insertMemberships(
    store.db,
    keys.map((key) => ({
      project_id: projectId,
      plugin_key: key,
      status: "TRAINING",
      model_name: "",
      error: "",
      parameters_json: "{}",
      additional_info_json: "{}",
      deadline_ms: null,
      created_ms: now,
      updated_ms: now,
    })),
  );
  return { projectId, pluginIds: rows.map((r) => r.id) };
}

describeEachDialect("group commit", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  it("commits the other units of a batch when one throws, and runs effects after commit", async () => {
    const metrics = testMetrics();
    const committer = new GroupCommitter({ db: fresh.store.db, logger: silent, metrics });
    const effects: string[] = [];
    const insert = (key: string) =>
      committer.run(async ({ trx, afterCommit }) => {
        await trx("plugins").insert({
          key,
          name: key,
          type: "",
          description: "",
          parameters_json: "{}",
          first_seen_ms: 0,
          last_seen_ms: 0,
        });
        afterCommit(() => effects.push(key));
        return key;
      });
    const failing = committer.run(async ({ trx }) => {
      await trx("plugins").insert({ key: "bad" });
      return "bad";
    });
    const results = await Promise.allSettled([insert("a"), failing, insert("b")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const keys = (await fresh.store.db("plugins").select("key").orderBy("key")).map(
      (r: { key: string }) => r.key,
    );
    expect(keys).toEqual(["a", "b"]);
    expect(effects.sort()).toEqual(["a", "b"]);
    // The batch of three rolled back, then each unit ran alone: two commits, one more rollback.
    const transactions = (outcome: string) =>
      sampleOf(metrics, "group_commit_transaction_seconds_count", { outcome });
    expect(await transactions("rollback")).toBe(2);
    expect(await transactions("commit")).toBe(2);
  });

  // Several connection pools on one database are how replicas share PostgreSQL; SQLite is the
  // single-process embedded store (one connection), so the race cannot happen there.
  it.runIf(dialect === "postgres")(
    "derives the project status right when its plugins finish at the same moment",
    async () => {
      const keys = ["k1", "k2", "k3", "k4"];
      const feed = new ChangeFeed();
      // One store (connection pool) and committer per plugin: replicas racing each other.
      const stores = [
        fresh.store,
        ...(await Promise.all(keys.slice(1).map(() => openStore(fresh.database.url)))),
      ];
      try {
        const committers = stores.map(
          (s) => new GroupCommitter({ db: s.db, logger: silent, metrics: testMetrics() }),
        );
        for (let round = 0; round < 20; round++) {
          const { projectId, pluginIds } = await seedProject(fresh.store, keys, round);
          // Half the rounds as units of work, half as reports (whose batch reads the
          // memberships with the project locks).
          const results = await Promise.all(
            pluginIds.map((pluginId, i) => {
              const committer = committers[i] as GroupCommitter;
              const key = keys[i] as string;
              const input = {
                projectId,
                pluginId,
                report: { kind: "model-name", modelName: `m${i}` },
              } as const;
              return round % 2 === 0
                ? committer.run(
                    (ctx) => applyReport(ctx, { feed, timeouts }, key, input, Date.now()),
                    [projectId],
                  )
                : committer.report({ feed, timeouts }, key, input);
            }),
          );
          expect(results.every((r) => r.code === "OK")).toBe(true);
          const project = await fresh.store.db("projects").where({ id: projectId }).first();
          expect(project.status).toBe("TRAINED");
          const projectEvents = await fresh.store
            .db("events")
            .where({ project_id: projectId })
            .whereNull("membership_id");
          expect(projectEvents.map((e: { project_status: string }) => e.project_status)).toEqual([
            "TRAINED",
          ]);
        }
      } finally {
        for (const extra of stores.slice(1)) await extra.close();
      }
    },
  );
});
