// Tokens at run time: what a plugin may download, revocation (from the CLI, another process)
// ending open streams, the first token ending development mode without a restart, and the
// services that stay open.
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { createToken, revokeTokenById } from "../../src/app/auth/token-admin.js";
import {
  HealthClient,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../src/gen/grpc/health/v1/health.js";
import {
  ServerReflectionClient,
  type ServerReflectionResponse,
} from "../../src/gen/grpc/reflection/v1/reflection.js";
import { DatasetServiceClient } from "../../src/gen/trainingcore/v1/dataset_service.js";
import {
  type ConnectResponse,
  PluginServiceClient,
} from "../../src/gen/trainingcore/v1/plugin_service.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { openStore } from "../../src/store/connect.js";
import { runCli } from "../helpers/cli.js";
import { bearerInterceptor } from "../helpers/core.js";
import { describeEachDialect } from "../helpers/databases.js";
import { download } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, failureOf, getProject, listPlugins } from "../helpers/projects.js";

interface End {
  code: status;
  details: string;
}

/** A Connect stream opened with `token` and registered as `key`. */
function openPlugin(address: string, token: string, key: string) {
  const client = new PluginServiceClient(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const stream = client.connect(metadata);
  const ended = new Promise<End>((resolve) => {
    stream.on("error", (e: ServiceError) => resolve({ code: e.code, details: e.details }));
    stream.on("status", (s: End) => resolve({ code: s.code, details: s.details }));
  });
  const registered = new Promise<number>((resolve, reject) => {
    stream.on("data", (response: ConnectResponse) => {
      if (response.message?.$case === "ack") resolve(response.message.value.code);
    });
    ended.then((end) => reject(new Error(`stream ended: ${end.code} ${end.details}`)));
  });
  registered.catch(() => {}); // awaited only by the tests that expect a registration
  stream.write({
    sequence: 1,
    message: {
      $case: "onlineReport",
      value: {
        id: key,
        name: key,
        type: "test",
        description: "",
        parameters: {},
        neededColumns: [],
        prescribes: false,
      },
    },
  });
  return {
    registered,
    ended,
    close() {
      stream.cancel();
      client.close();
    },
  };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeEachDialect("access tokens at run time", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });

  async function makeToken(kind: "consumer" | "plugin", pluginKey?: string) {
    const store = await openStore(env.database.url);
    try {
      return await createToken(store.db, { kind, pluginKey }, Date.now());
    } finally {
      await store.close();
    }
  }

  async function revoke(id: number): Promise<void> {
    const store = await openStore(env.database.url);
    try {
      await revokeTokenById(store.db, id, Date.now());
    } finally {
      await store.close();
    }
  }

  async function blobsLike(pattern: string): Promise<number> {
    const store = await openStore(env.database.url);
    try {
      const [row] = await store.db("blobs").where("id", "like", pattern).count({ n: "*" });
      return Number(row?.n ?? 0);
    } finally {
      await store.close();
    }
  }

  function datasetsWith(token: string): DatasetServiceClient {
    return env.track(
      new DatasetServiceClient(env.core.address, credentials.createInsecure(), {
        interceptors: [bearerInterceptor(token)],
      }),
    );
  }

  it("lets a plugin download the training and holdout sets of its own projects only", async () => {
    const consumer = await makeToken("consumer");
    const knnToken = await makeToken("plugin", "knn");
    const lstmToken = await makeToken("plugin", "lstm");
    const core = await env.start({ token: consumer.token });
    for (const [token, key] of [
      [knnToken.token, "knn"],
      [lstmToken.token, "lstm"],
    ] as const) {
      const plugin = env.track(openPlugin(core.address, token, key));
      expect(await plugin.registered).toBe(status.OK);
    }
    const own = await createProject(core.projects, { pluginKeys: ["knn"] });
    const other = await createProject(core.projects, { pluginKeys: ["lstm"] });
    await core.core.preprocessingIdle();
    const ownSets = (await getProject(core.projects, own.id)).dataset;
    const otherSets = (await getProject(core.projects, other.id)).dataset;
    const knn = datasetsWith(knnToken.token);

    expect((await download(knn, ownSets?.trainingDfName ?? "")).toString()).toMatch(/^case,/);
    expect((await download(knn, ownSets?.holdoutDfName ?? "")).length).toBeGreaterThan(0);
    for (const name of [otherSets?.trainingDfName, otherSets?.holdoutDfName]) {
      expect(await failureOf(download(knn, name ?? ""))).toEqual({
        code: status.PERMISSION_DENIED,
        details: expect.stringContaining(`plugin key "knn" is a member of`),
      });
    }
    expect((await failureOf(download(knn, `td_${"0".repeat(24)}`))).code).toBe(status.NOT_FOUND);
    expect(
      (await download(datasetsWith(lstmToken.token), otherSets?.trainingDfName ?? "")).length,
    ).toBeGreaterThan(0);
  });

  it("ends the open streams of a token revoked with the CLI, and refuses it afterwards", async () => {
    const consumer = await makeToken("consumer");
    const knnToken = await makeToken("plugin", "knn");
    const core = await env.start({ token: consumer.token, tokenRecheckMs: 100 });
    const plugin = env.track(openPlugin(core.address, knnToken.token, "knn"));
    expect(await plugin.registered).toBe(status.OK);
    const project = await createProject(core.projects, { pluginKeys: ["knn"] });
    const watch = core.projects.watchProject({ projectId: project.id, afterEventId: 0 });
    watch.on("data", () => {});
    const watchEnded = new Promise<ServiceError>((resolve) => watch.on("error", resolve));

    const revoked = await runCli(["token", "revoke", String(knnToken.id)], {
      env: { CORE_DATABASE_URL: env.database.url },
    });
    expect(revoked).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("revoked plugin token"),
    });
    expect(await plugin.ended).toEqual({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/plugin token \d+ \(plugin key "knn"\) was revoked/),
    });
    const again = env.track(openPlugin(core.address, knnToken.token, "knn"));
    expect(await again.ended).toEqual({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/token \d+ was revoked at/),
    });

    await revoke(consumer.id);
    expect((await watchEnded).code).toBe(status.UNAUTHENTICATED);
    expect((await failureOf(listPlugins(core.projects))).code).toBe(status.UNAUTHENTICATED);
  });

  it("ends an upload in progress when its token is revoked, and keeps none of it", async () => {
    const consumer = await makeToken("consumer");
    const core = await env.start({ token: consumer.token, tokenRecheckMs: 100 });
    const answered = new Promise<ServiceError | null>((resolve) => {
      const upload = core.datasets.uploadDataset((error) => resolve(error));
      upload?.on("error", () => {});
      upload?.write({
        message: { $case: "metadata", value: { fileName: "big.csv", sizeBytes: 0, sha256: "" } },
      });
      upload?.write({ message: { $case: "chunk", value: Buffer.alloc(64 * 1024, "a") } });
      // Never half-closed: the upload is still in progress when the token is revoked.
    });
    await eventually(async () => (await blobsLike("ds_%")) > 0);
    await revoke(consumer.id);
    expect(await answered).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/consumer token \d+ was revoked/),
    });
    await eventually(async () => (await blobsLike("ds_%")) === 0);
  });

  it("leaves development mode without a restart once the first token exists", async () => {
    const core = await env.start({ tokenRecheckMs: 100 });
    const unauthenticated = await env.connect("knn");
    expect((await listPlugins(core.projects)).plugins.map((p) => p.key)).toEqual(["knn"]);

    const consumer = await makeToken("consumer");
    const projects = env.track(
      new ProjectServiceClient(core.address, credentials.createInsecure(), {
        interceptors: [bearerInterceptor(consumer.token)],
      }),
    );
    expect((await listPlugins(projects)).plugins).toHaveLength(1);
    await eventually(async () => {
      const outcome = await listPlugins(core.projects).then(
        () => status.OK,
        (error: ServiceError) => error.code,
      );
      return outcome === status.UNAUTHENTICATED;
    });
    expect(await unauthenticated.ended).toEqual({
      code: status.UNAUTHENTICATED,
      details: expect.stringContaining("requires access tokens now"),
    });
  });

  it("keeps health and reflection open, and explains malformed credentials", async () => {
    await makeToken("consumer");
    const core = await env.start();
    const health = env.track(new HealthClient(core.address, credentials.createInsecure()));
    const reflection = env.track(
      new ServerReflectionClient(core.address, credentials.createInsecure()),
    );
    const serving = await new Promise((resolve, reject) =>
      health.check({ service: "" }, (error, response) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
    expect(serving).toBe(Serving.SERVING);
    const listed = await new Promise<ServerReflectionResponse>((resolve, reject) => {
      const stream = reflection.serverReflectionInfo();
      stream.on("data", (response: ServerReflectionResponse) => {
        resolve(response);
        stream.end();
      });
      stream.on("error", reject);
      stream.write({ host: "", messageRequest: { $case: "listServices", value: "" } });
    });
    expect(listed.messageResponse?.$case).toBe("listServicesResponse");

    const cases: [string[], RegExp][] = [
      [[], /needs an access token/],
      [["Basic dXNlcjpwYXNz"], /must be "Bearer <token>"/],
      [["Bearer not-a-token"], /not a Training Core token/],
    ];
    for (const [values, details] of cases) {
      const metadata = new Metadata();
      for (const value of values) metadata.add("authorization", value);
      const failure = await failureOf(
        new Promise((resolve, reject) =>
          core.projects.listPlugins({}, metadata, (error, response) =>
            error ? reject(error) : resolve(response),
          ),
        ),
      );
      expect(failure).toEqual({
        code: status.UNAUTHENTICATED,
        details: expect.stringMatching(details),
      });
    }
  });
});
