// CreateProject answers from the rows it just wrote: reading the project back would queue
// behind the preprocessing the new project starts (SQLite has one connection).
import { EventEmitter, once } from "node:events";
import { type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import pino from "pino";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ChangeFeed } from "../../src/app/change-feed/change-feed.js";
import type { PluginSessions } from "../../src/app/plugins/plugin-sessions.js";
import { getProject } from "../../src/app/projects/project-views.js";
import type {
  CreateProjectRequest,
  CreateProjectResponse,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { upsertPlugin } from "../../src/store/sql/plugins.js";
import type { OpenStreams } from "../../src/transport/open-streams.js";
import { createProjectHandlers } from "../../src/transport/projects/project-handlers.js";
import { toProtoProject } from "../../src/transport/projects/project-messages.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";
import { createProjectRequest, failureOf } from "../helpers/projects.js";

describeEachDialect("CreateProject", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  beforeEach(async () => {
    await upsertPlugin(
      fresh.store.db,
      { key: "k", name: "", type: "", description: "", parameters: {} },
      Date.now(),
    );
  });

  afterEach(async () => {
    handlers = undefined;
  });

  /** Where the handlers of a test report a new project (the call under way's arrays). */
  let onCreated: (id: number) => void = () => {};
  let handlers: ReturnType<typeof createProjectHandlers> | undefined;

  /** One set of handlers per test, as a server has: what they remember lasts across calls. */
  function projectHandlers() {
    handlers ??= createProjectHandlers({
      db: fresh.store.db,
      feed: new ChangeFeed(),
      sessions: { onlineKeys: () => [] } as unknown as PluginSessions,
      openStreams: {} as OpenStreams,
      logger: pino({ level: "silent" }),
      maxDatasetBytes: 1 << 20,
      projectCreated: (id) => onCreated(id),
    });
    return handlers;
  }

  /**
   * Calls the handler with a stand-in for grpc-js' call, which emits `cancelled` once the call
   * ended (as grpc-js does however a call ends); `end()` plays that part. Unless `ended` is
   * false, the call ends as soon as the handler answered.
   */
  function callHandler(request: CreateProjectRequest, created: number[], ended = true) {
    const events = new EventEmitter();
    onCreated = (id) => {
      created.push(id);
      events.emit("projectCreated", id);
    };
    const grpcCall = Object.assign(new EventEmitter(), { request, cancelled: false });
    const end = () => {
      grpcCall.cancelled = true;
      grpcCall.emit("cancelled", "cancelled");
    };
    const response = new Promise<CreateProjectResponse>((resolve, reject) => {
      const callback: sendUnaryData<CreateProjectResponse> = (error, answer) => {
        if (ended) process.nextTick(end);
        return error || !answer ? reject(error) : resolve(answer);
      };
      projectHandlers().createProject(
        grpcCall as unknown as ServerUnaryCall<CreateProjectRequest, CreateProjectResponse>,
        callback,
      );
    });
    return { response, end, projectCreated: once(events, "projectCreated") };
  }

  function call(request: CreateProjectRequest, created: number[]) {
    return callHandler(request, created).response;
  }

  it("answers with the project as stored, without reading it back", async () => {
    const selects: string[] = [];
    fresh.store.db.on("query", (query: { sql: string }) => {
      if (/^\s*select/i.test(query.sql)) selects.push(query.sql);
    });
    const created: number[] = [];
    const { response: answered, projectCreated } = callHandler(
      createProjectRequest({
        name: "answered",
        description: "from the rows written",
        pluginKeys: ["k"],
        parameters: { k: { depth: 3 } },
        requestId: "",
      }),
      created,
    );
    const response = await answered;
    await projectCreated;
    // Only the plugin keys were looked up; nothing was read after the commit.
    expect(selects).toHaveLength(1);
    expect(selects[0]).toMatch(/["`]plugins["`]/);
    const project = response.project;
    expect(project?.id).toBeGreaterThan(0);
    expect(created).toEqual([project?.id]);
    expect(project).toEqual(toProtoProject(await getProject(fresh.store.db, project?.id ?? 0)));
    expect(project).toMatchObject({
      name: "answered",
      description: "from the rows written",
      pluginKeys: ["k"],
      plugins: [],
    });
    // The key is known from now on: the next project with it reads nothing at all.
    selects.length = 0;
    const again = callHandler(createProjectRequest({ pluginKeys: ["k"], requestId: "" }), created);
    await again.response;
    await again.projectCreated;
    expect(selects).toEqual([]);
  });

  it("looks up only plugin keys it has not met, and does not remember unknown ones", async () => {
    const selects: string[] = [];
    fresh.store.db.on("query", (query: { sql: string }) => {
      if (/^\s*select/i.test(query.sql)) selects.push(query.sql);
    });
    const created: number[] = [];
    await call(createProjectRequest({ pluginKeys: ["k"], requestId: "" }), created);
    expect(selects).toHaveLength(1);
    for (let attempt = 0; attempt < 2; attempt++) {
      const failure = await failureOf(
        call(createProjectRequest({ pluginKeys: ["k", "nope"], requestId: "" }), created),
      );
      expect(failure.code).toBe(status.INVALID_ARGUMENT);
      expect(failure.details).toContain("unknown plugin key(s): nope");
    }
    // Each refusal asked the store again, for the unknown key alone.
    expect(selects).toHaveLength(3);
    await upsertPlugin(
      fresh.store.db,
      { key: "nope", name: "", type: "", description: "", parameters: {} },
      Date.now(),
    );
    await call(createProjectRequest({ pluginKeys: ["k", "nope"], requestId: "" }), created);
    expect(selects).toHaveLength(4);
  });

  it("starts the preprocessing only once the call has ended", async () => {
    const created: number[] = [];
    const { response, end, projectCreated } = callHandler(
      createProjectRequest({ pluginKeys: ["k"], requestId: "" }),
      created,
      false,
    );
    const id = (await response).project?.id;
    // Answered, but grpc-js has not sent the response yet: nothing may hold it up.
    await new Promise((resolve) => setImmediate(resolve));
    expect(created).toEqual([]);
    end();
    expect(await projectCreated).toEqual([id]);
    expect(created).toEqual([id]);
  });

  it("reads back the project of a repeated request_id, which may have moved on", async () => {
    const request = createProjectRequest({ pluginKeys: ["k"], requestId: "once" });
    const first = await call(request, []);
    const id = first.project?.id ?? 0;
    await fresh.store.db("projects").where({ id }).update({ status: "ERROR", error: "moved on" });
    const again = await call(request, []);
    expect(again.project?.id).toBe(id);
    expect(again.project).toMatchObject({ error: "moved on" });
  });
});
