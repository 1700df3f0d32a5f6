/**
 * DeleteProject and kill -9: the core runs as a child process, several projects with their
 * datasets are deleted at once, and the core is killed with SIGKILL as soon as the first delete
 * is answered (others are then committed, in flight, or not begun). With the core down, each
 * project is either entirely there (row, membership, events, dataset, training and holdout sets)
 * or entirely gone (tombstone, no row, no blob row); after a restart the orphan sweep leaves no
 * blob file without its row, and the rest can be deleted.
 */
import { credentials, status } from "@grpc/grpc-js";
import type { Knex } from "knex";
import { afterEach, beforeEach, expect, it } from "vitest";
import {
  type CreateProjectResponse,
  type DeleteProjectResponse,
  ProjectServiceClient,
  type WatchProjectResponse,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { blobFilesOf } from "../../src/store/blobs/blob-files.js";
import { openStore } from "../../src/store/connect.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  freePort,
  type TestDatabase,
} from "../helpers/databases.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProjectRequest, getProject } from "../helpers/projects.js";

const projectCount = 6;

/** A CSV of about 1.5 MB: enough rows that deleting it is more than one statement. */
function dataset(index: number): Buffer {
  const rows = ["case,activity,time"];
  for (let i = 0; i < 40_000; i++)
    rows.push(`p${index}c${i >> 2},act${i & 3},2024-01-01T10:00:00Z`);
  return Buffer.from(`${rows.join("\n")}\n`);
}

interface Remains {
  readonly row: number;
  readonly tombstone: number;
  readonly memberships: number;
  readonly events: number;
  readonly blobs: number;
}

async function remainsOf(
  db: Knex,
  projectId: number,
  blobIds: readonly string[],
): Promise<Remains> {
  const n = async (query: Knex.QueryBuilder) => Number((await query.count({ n: "*" }))[0]?.n);
  return {
    row: await n(db("projects").where({ id: projectId })),
    tombstone: await n(db("deleted_projects").where({ id: projectId })),
    memberships: await n(db("memberships").where({ project_id: projectId })),
    events: await n(db("events").where({ project_id: projectId })),
    blobs: await n(db("blobs").whereIn("id", [...blobIds])),
  };
}

/** Resolves once the project stored its first membership event (preprocessing recorded). */
function waitingEvent(projects: ProjectServiceClient, projectId: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = projects.watchProject({ projectId, afterEventId: 0 });
    stream.on("data", (message: WatchProjectResponse) => {
      if (message.event?.pluginId) {
        stream.cancel();
        resolve();
      }
    });
    stream.on("error", (error: { code: number }) => {
      if (error.code !== status.CANCELLED) reject(error);
    });
  });
}

describeEachDialect("DeleteProject and kill -9", (dialect) => {
  let database: TestDatabase;
  let core: CoreProcess | undefined;
  let client: ProjectServiceClient | undefined;

  beforeEach(async () => {
    database = await createTestDatabaseUrl(dialect);
  });

  afterEach(async () => {
    client?.close();
    if (core && core.child.exitCode === null && core.child.signalCode === null) {
      core.child.kill("SIGKILL");
      await core.exited;
    }
    await database.drop();
  });

  it.each([0, 3])(
    "leaves each project entirely there or entirely gone (kill after %i ms)",
    async (killAfterMs) => {
      const port = await freePort();
      const env = { CORE_SHUTDOWN_GRACE_MS: "0" };
      core = await spawnCore(database.url, port, env);
      client = new ProjectServiceClient(core.address, credentials.createInsecure());
      const projects = client;
      // The key must be known; the plugin goes away, so every membership stays WAITING.
      (await TestPlugin.connect(core.address, "knn")).close();
      const ids: number[] = [];
      for (let i = 0; i < projectCount; i++) {
        const response = await new Promise<CreateProjectResponse>((resolve, reject) =>
          projects.createProject(
            createProjectRequest({
              datasetCsv: dataset(i),
              caseIdColumn: "case",
              pluginKeys: ["knn"],
            }),
            (error, res) => (error ? reject(error) : resolve(res)),
          ),
        );
        ids.push(response.project?.id ?? 0);
      }
      // Every dataset preprocessed: its membership's WAITING event is stored with it.
      const blobsOf = new Map<number, string[]>();
      for (const id of ids) {
        await waitingEvent(projects, id);
        const dataset_ = (await getProject(projects, id)).dataset;
        expect(dataset_).toBeDefined();
        blobsOf.set(id, [dataset_?.trainingDfName ?? "", dataset_?.holdoutDfName ?? ""]);
      }
      {
        const store = await openStore(database.url);
        try {
          for (const id of ids) {
            const row = await store.db("projects").where({ id }).first("raw_blob_id");
            blobsOf.get(id)?.push(row.raw_blob_id);
          }
        } finally {
          await store.close();
        }
      }

      // Three deletes answered one after another, a fourth in flight when the core is killed
      // (committed or not, by the delay), two never asked for.
      const running = core;
      const remove = (projectId: number) =>
        new Promise<boolean>((resolve) =>
          projects.deleteProject({ projectId }, (error: unknown, _res?: DeleteProjectResponse) =>
            resolve(!error),
          ),
        );
      for (const id of ids.slice(0, 3)) expect(await remove(id)).toBe(true);
      const inFlight = remove(ids[3] ?? 0);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      running.child.kill("SIGKILL");
      await running.exited;
      const acked = await inFlight;

      const store = await openStore(database.url);
      try {
        const gone = { row: 0, tombstone: 1, memberships: 0, events: 0, blobs: 0 };
        for (const [index, id] of ids.entries()) {
          const remains = await remainsOf(store.db, id, blobsOf.get(id) ?? []);
          if (index < 3 || (index === 3 && remains.row === 0)) {
            expect(remains).toEqual(gone);
          } else {
            // Not committed (an answered delete is never undone): all of it is there.
            if (index === 3) expect(acked).toBe(false);
            expect(remains).toMatchObject({ row: 1, tombstone: 0, memberships: 1, blobs: 3 });
            expect(remains.events).toBeGreaterThan(0);
          }
        }
      } finally {
        await store.close();
      }

      // Restarted: the sweep removes files whose rows went; the rest can be deleted.
      core = await spawnCore(database.url, port, env);
      for (const projectId of ids) {
        await new Promise<void>((resolve, reject) =>
          projects.deleteProject({ projectId }, (error) => (error ? reject(error) : resolve())),
        );
      }
      core.child.kill("SIGTERM");
      await core.exited;
      const after = await openStore(database.url);
      try {
        const rows: { id: string }[] = await after.db("blobs").select("id");
        expect(rows).toEqual([]);
        const files = (await blobFilesOf(after.db)?.list()) ?? [];
        expect(files.filter((name) => /^(raw|td|ho)_/.test(name))).toEqual([]);
        expect(Number((await after.db("projects").count({ n: "*" }))[0]?.n)).toBe(0);
      } finally {
        await after.close();
      }
    },
    120_000,
  );
});
