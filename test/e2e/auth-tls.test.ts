// TLS and mutual TLS with certificates made for the test (test/helpers/tls.ts). With mutual TLS
// a client certificate whose common name is a plugin key authenticates as that plugin when no
// bearer token is sent; the SDK plugin uses exactly that.
import {
  type ChannelCredentials,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/app/auth/token-admin.js";
import {
  HealthClient,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../src/gen/grpc/health/v1/health.js";
import {
  type ConnectResponse,
  PluginServiceClient,
} from "../../src/gen/trainingcore/v1/plugin_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { runPlugin } from "../../src/sdk/index.js";
import { openStore } from "../../src/store/connect.js";
import type { TestCore } from "../helpers/core.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { tolerateConnectionsTo } from "../helpers/leak-check/tolerated.js";
import {
  createProject,
  failureOf,
  getProject,
  listPlugins,
  watchToEnd,
} from "../helpers/projects.js";
import { createTestPki, type TestPki } from "../helpers/tls.js";

/** Registers `key` on a Connect stream; resolves with the ack code or the code the call ended with. */
function register(address: string, creds: ChannelCredentials, key: string): Promise<number> {
  const client = new PluginServiceClient(address, creds);
  const stream = client.connect(new Metadata());
  return new Promise<number>((resolve) => {
    stream.on("data", (response: ConnectResponse) => {
      if (response.message?.$case === "ack") resolve(response.message.value.code);
    });
    stream.on("error", (error: ServiceError) => resolve(error.code));
    stream.write({
      sequence: 1,
      message: {
        $case: "onlineReport",
        value: {
          id: key,
          name: key,
          type: "t",
          description: "",
          parameters: {},
          neededColumns: [],
          prescribes: false,
        },
      },
    });
  }).finally(() => {
    stream.cancel();
    client.close();
  });
}

describe("TLS and mutual TLS [sqlite]", () => {
  const env = freshCorePerTest("sqlite", { deferStart: true });
  let pki: TestPki;
  let consumerToken = "";

  beforeAll(async () => {
    pki = await createTestPki();
  });

  afterAll(async () => {
    await pki?.remove();
  });

  async function startWith(options: { mutual: boolean }): Promise<TestCore> {
    const store = await openStore(env.database.url);
    try {
      consumerToken = (await createToken(store.db, { kind: "consumer" }, Date.now())).token;
    } finally {
      await store.close();
    }
    return env.start({
      tls: {
        certPath: pki.server.certPath,
        keyPath: pki.server.keyPath,
        clientCaPath: options.mutual ? pki.ca.certPath : "",
      },
      // With mutual TLS the TestCore's clients need a certificate too (any name: the token wins).
      clientCredentials: await pki.clientCredentials(options.mutual ? "consumer-host" : undefined),
      token: consumerToken,
    });
  }

  function projectsWith(creds: ChannelCredentials): ProjectServiceClient {
    return env.track(new ProjectServiceClient(env.core.address, creds));
  }

  it("serves TLS: a token travels as call credentials; plaintext clients cannot connect", async () => {
    const tls = await startWith({ mutual: false });
    expect((await listPlugins(tls.projects)).plugins).toEqual([]);

    // How a real client sends its token over TLS: call credentials composed with the channel's.
    const withCallCredentials = credentials.combineChannelCredentials(
      await pki.clientCredentials(),
      credentials.createFromMetadataGenerator((_params, callback) => {
        const metadata = new Metadata();
        metadata.set("authorization", `Bearer ${consumerToken}`);
        callback(null, metadata);
      }),
    );
    expect((await listPlugins(projectsWith(withCallCredentials))).plugins).toEqual([]);
    const noToken = await failureOf(listPlugins(projectsWith(await pki.clientCredentials())));
    expect(noToken.code).toBe(status.UNAUTHENTICATED);
    const plaintext = await failureOf(listPlugins(projectsWith(credentials.createInsecure())));
    expect(plaintext.code).toBe(status.UNAVAILABLE);
  });

  it("with mutual TLS, takes a client certificate's common name as the plugin key", async () => {
    const mtls = await startWith({ mutual: true });
    tolerateConnectionsTo(
      mtls.address,
      "grpc-js 1.14 leaves the TCP socket under a TLS connection open when the server rejects " +
        "it after the handshake (TLS 1.3, no client certificate): it destroys only the TLS socket",
    );
    const knn = await pki.clientCredentials("knn");
    expect(await register(mtls.address, knn, "knn")).toBe(status.OK);
    expect(await register(mtls.address, knn, "lstm")).toBe(status.PERMISSION_DENIED);
    // The certificate stands for a plugin: consumer calls need a consumer token.
    const denied = await failureOf(listPlugins(projectsWith(knn)));
    expect(denied).toEqual({
      code: status.PERMISSION_DENIED,
      details: expect.stringContaining(`the client certificate of plugin key "knn"`),
    });
    // The TestCore's clients have a certificate too, and a consumer token, which wins.
    expect((await listPlugins(mtls.projects)).plugins.map((p) => p.key)).toEqual(["knn"]);

    const health = env.track(new HealthClient(mtls.address, knn));
    const serving = await new Promise((resolve, reject) =>
      health.check({ service: "" }, (error, response) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
    expect(serving).toBe(Serving.SERVING);

    for (const creds of [
      await pki.clientCredentials(), // no client certificate
      await (async () => {
        const stranger = await pki.clientCertificate("knn", { untrusted: true });
        return credentials.createSsl(pki.ca.cert, stranger.key, stranger.cert);
      })(),
    ]) {
      expect((await failureOf(listPlugins(projectsWith(creds)))).code).toBe(status.UNAVAILABLE);
    }
  });

  it("runs an SDK plugin that authenticates with its client certificate alone", async () => {
    const mtls = await startWith({ mutual: true });
    const controller = new AbortController();
    const done = runPlugin({
      address: mtls.address,
      credentials: await pki.clientCredentials("plugin-rows"),
      report: { id: "plugin-rows", name: "rows", type: "count", description: "", parameters: {} },
      signal: controller.signal,
      onTrainingData: async (job, ctx) => {
        let text = "";
        for await (const chunk of ctx.download()) text += chunk.toString();
        await ctx.accept();
        await ctx.started();
        await ctx.trained(`rows-${job.pluginId}-${text.split("\n").length}`);
      },
    });
    try {
      await expect
        .poll(async () => (await listPlugins(mtls.projects)).plugins.length, { timeout: 5000 })
        .toBe(1);
      const project = await createProject(mtls.projects, { pluginKeys: ["plugin-rows"] });
      await watchToEnd(mtls.projects, project.id);
      const trained = await getProject(mtls.projects, project.id);
      expect(trained.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
      expect(trained.plugins[0]?.modelName).toMatch(/^rows-\d+-\d+$/);
    } finally {
      controller.abort();
      await done;
    }
  });
});
