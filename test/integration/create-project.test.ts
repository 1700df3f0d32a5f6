// CreateProject answers from the rows it just wrote: reading the project back would queue
// behind the preprocessing the new project starts (SQLite has one connection).
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import pino from "pino";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ChangeFeed } from "../../src/app/change-feed.js";
import type { PluginSessions } from "../../src/app/plugin-sessions.js";
import { getProject } from "../../src/app/project-views.js";
import type {
  CreateProjectRequest,
  CreateProjectResponse,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { openStore, type Store } from "../../src/store/connect.js";
import { upsertPlugin } from "../../src/store/sql/plugins.js";
import { toProtoProject } from "../../src/transport/message-mapping.js";
import type { OpenStreams } from "../../src/transport/open-streams.js";
import { createProjectHandlers } from "../../src/transport/project-handlers.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { createProjectRequest } from "../helpers/projects.js";

describeEachDialect("CreateProject", (dialect) => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await createTestDatabaseUrl(dialect);
    store = await openStore(database.url);
    await upsertPlugin(
      store.db,
      { key: "k", name: "", type: "", description: "", parameters: {} },
      Date.now(),
    );
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  function call(request: CreateProjectRequest, created: number[]) {
    const handlers = createProjectHandlers({
      db: store.db,
      feed: new ChangeFeed(),
      sessions: { onlineKeys: () => [] } as unknown as PluginSessions,
      openStreams: {} as OpenStreams,
      logger: pino({ level: "silent" }),
      maxDatasetBytes: 1 << 20,
      projectCreated: (id) => created.push(id),
    });
    return new Promise<CreateProjectResponse>((resolve, reject) => {
      const callback: sendUnaryData<CreateProjectResponse> = (error, response) =>
        error || !response ? reject(error) : resolve(response);
      handlers.createProject(
        { request } as ServerUnaryCall<CreateProjectRequest, CreateProjectResponse>,
        callback,
      );
    });
  }

  it("answers with the project as stored, without reading it back", async () => {
    const selects: string[] = [];
    store.db.on("query", (query: { sql: string }) => {
      if (/^\s*select/i.test(query.sql)) selects.push(query.sql);
    });
    const created: number[] = [];
    const response = await call(
      createProjectRequest({
        name: "answered",
        description: "from the rows written",
        pluginKeys: ["k"],
        parameters: { k: { depth: 3 } },
        requestId: "",
      }),
      created,
    );
    // Only the plugin keys were looked up; nothing was read after the commit.
    expect(selects).toHaveLength(1);
    expect(selects[0]).toMatch(/["`]plugins["`]/);
    const project = response.project;
    expect(project?.id).toBeGreaterThan(0);
    expect(created).toEqual([project?.id]);
    expect(project).toEqual(toProtoProject(await getProject(store.db, project?.id ?? 0)));
    expect(project).toMatchObject({
      name: "answered",
      description: "from the rows written",
      pluginKeys: ["k"],
      plugins: [],
    });
  });

  it("reads back the project of a repeated request_id, which may have moved on", async () => {
    const request = createProjectRequest({ pluginKeys: ["k"], requestId: "once" });
    const first = await call(request, []);
    const id = first.project?.id ?? 0;
    await store.db("projects").where({ id }).update({ status: "ERROR", error: "moved on" });
    const again = await call(request, []);
    expect(again.project?.id).toBe(id);
    expect(again.project).toMatchObject({ error: "moved on" });
  });
});
