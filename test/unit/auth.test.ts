// The pure parts of authentication (token text, start-up posture, the method rules, settings)
// and the Authenticator against an in-memory SQLite database with a clock the test moves.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Authenticator } from "../../src/app/auth/authenticator.js";
import { hostOf, isLoopbackHost, startupPosture } from "../../src/app/auth/posture.js";
import type { Principal } from "../../src/app/auth/principal.js";
import { createToken, revokeTokenById } from "../../src/app/auth/token-admin.js";
import { hashToken, issueToken, sameHash, tokenKindOf } from "../../src/app/auth/token-format.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { AppError } from "../../src/domain/errors.js";
import { openStore, type Store } from "../../src/store/connect.js";
import { accessRules, authorize } from "../../src/transport/auth/authenticated-services.js";
import { createServerCredentials } from "../../src/transport/auth/credentials.js";

describe("token text", () => {
  it("has a kind prefix, 32 random bytes, and is stored only as its SHA-256", () => {
    const plugin = issueToken("plugin");
    const consumer = issueToken("consumer");
    expect(plugin.token).toMatch(/^tcp_[A-Za-z0-9_-]{43}$/);
    expect(consumer.token).toMatch(/^tcc_[A-Za-z0-9_-]{43}$/);
    expect(issueToken("plugin").token).not.toBe(plugin.token);
    expect(plugin.hash).toBe(hashToken(plugin.token));
    expect(plugin.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenKindOf(plugin.token)).toBe("plugin");
    expect(tokenKindOf(consumer.token)).toBe("consumer");
    for (const bad of [
      "",
      "tcp_",
      `tcx_${"a".repeat(43)}`,
      `tcp_${"a".repeat(42)}`,
      `${plugin.token} `,
    ]) {
      expect(tokenKindOf(bad)).toBeUndefined();
    }
    expect(sameHash(plugin.hash, hashToken(plugin.token))).toBe(true);
    expect(sameHash(plugin.hash, consumer.hash)).toBe(false);
    expect(sameHash(plugin.hash, "")).toBe(false);
  });
});

describe("start-up posture", () => {
  it.each([
    ["127.0.0.1:50051", false, false, "development"],
    ["127.1.2.3:0", false, false, "development"],
    ["localhost:50051", false, false, "development"],
    ["[::1]:50051", false, false, "development"],
    ["0.0.0.0:50051", false, false, "refused"],
    ["[::]:50051", false, false, "refused"],
    ["10.0.0.5:50051", false, false, "refused"],
    ["core.example.com:50051", false, false, "refused"],
    ["0.0.0.0:50051", false, true, "development"],
    ["0.0.0.0:50051", true, false, "enforced"],
    ["127.0.0.1:50051", true, true, "enforced"],
  ] as const)("%s, tokens %s, CORE_INSECURE %s → %s", (address, tokensExist, insecure, kind) => {
    expect(startupPosture({ address, tokensExist, insecure }).kind).toBe(kind);
  });

  it("says what to do when it refuses", () => {
    const posture = startupPosture({ address: "0.0.0.0:1", tokensExist: false, insecure: false });
    expect(posture).toEqual({
      kind: "refused",
      reason: expect.stringMatching(/training-core token create.*127\.0\.0\.1.*CORE_INSECURE=1/),
    });
  });

  it("reads the host of host:port", () => {
    expect(hostOf("[::1]:50051")).toBe("::1");
    expect(hostOf("127.0.0.1:0")).toBe("127.0.0.1");
    expect(isLoopbackHost("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
  });
});

describe("method rules", () => {
  const principals: Record<string, Principal> = {
    development: { kind: "development" },
    plugin: { kind: "plugin", key: "knn", tokenId: 1 },
    certificate: { kind: "plugin", key: "knn", tokenId: null },
    consumer: { kind: "consumer", tokenId: 2 },
  };
  const pluginMethods = [
    "/trainingcore.v1.PluginService/Connect",
    "/trainingcore.v1.DatasetService/DownloadDataset",
    "/trainingcore.v1.ModelService/UploadModel",
  ];
  /** Open to both: plugins read their own key's models, consumers export any. */
  const sharedMethods = ["/trainingcore.v1.ModelService/DownloadModel"];

  it("covers exactly the application methods", () => {
    expect([...accessRules.keys()].sort()).toEqual(
      [
        ...pluginMethods,
        ...sharedMethods,
        "/trainingcore.v1.DatasetService/UploadDataset",
        "/trainingcore.v1.DatasetService/InspectDataset",
        ...[
          "CreateProject",
          "GetProject",
          "ListProjects",
          "WatchProject",
          "ListPlugins",
          "DeleteProject",
          "UpdateProject",
          "SetPluginServing",
        ].map((name) => `/trainingcore.v1.ProjectService/${name}`),
        ...[
          "PrescribeDataset",
          "GetPrescriptionJob",
          "WatchPrescriptionJob",
          "ListPrescriptions",
          "DeletePrescriptionJob",
          "ListPrescriptionJobs",
          "PostEvents",
          "WatchPrescriptions",
          "SimulateProject",
          "ClearEvents",
        ].map((name) => `/trainingcore.v1.PrescriptionService/${name}`),
      ].sort(),
    );
  });

  it.each([...accessRules.keys()])("%s: plugins, consumers or both; development always", (path) => {
    const shared = sharedMethods.includes(path);
    const pluginMay = shared || pluginMethods.includes(path);
    const consumerMay = shared || !pluginMay;
    const outcome = (principal: Principal) => {
      try {
        authorize(principal, path);
        return "allowed";
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe("PERMISSION_DENIED");
        return "denied";
      }
    };
    expect(outcome(principals.development as Principal)).toBe("allowed");
    expect(outcome(principals.plugin as Principal)).toBe(pluginMay ? "allowed" : "denied");
    expect(outcome(principals.certificate as Principal)).toBe(pluginMay ? "allowed" : "denied");
    expect(outcome(principals.consumer as Principal)).toBe(consumerMay ? "allowed" : "denied");
  });

  it("refuses a method without a rule", () => {
    expect(() => authorize({ kind: "consumer", tokenId: 1 }, "/x.Y/Z")).toThrow(/not open to any/);
  });
});

describe("settings", () => {
  const base = { CORE_DATABASE_URL: "sqlite::memory:" };

  it("defaults to plaintext, no insecure override, and a 5 s recheck", () => {
    expect(loadConfig(base)).toMatchObject({
      insecure: false,
      tokenRecheckMs: 5000,
      tlsCert: "",
      tlsKey: "",
      tlsClientCa: "",
    });
    expect(loadConfig({ ...base, CORE_INSECURE: "1" }).insecure).toBe(true);
  });

  it.each([
    [{ CORE_INSECURE: "yes" }, /CORE_INSECURE=yes: expected 1 or 0/],
    [{ CORE_TOKEN_RECHECK_MS: "10" }, /CORE_TOKEN_RECHECK_MS=10/],
    [{ CORE_TLS_CERT: "/a.pem" }, /CORE_TLS_CERT and CORE_TLS_KEY go together/],
    [{ CORE_TLS_CLIENT_CA: "/ca.pem" }, /CORE_TLS_CLIENT_CA needs CORE_TLS_CERT/],
  ])("refuses %o", (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it("names the unreadable or non-PEM TLS file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "training-core-auth-"));
    try {
      const notPem = join(dir, "cert.pem");
      await writeFile(notPem, "hello");
      const files = { certPath: join(dir, "missing.pem"), keyPath: notPem, clientCaPath: "" };
      expect(() => createServerCredentials(files)).toThrow(
        /CORE_TLS_CERT=.*missing.pem: cannot read/,
      );
      expect(() => createServerCredentials({ ...files, certPath: notPem })).toThrow(
        /CORE_TLS_CERT=.*cert.pem: not a PEM file/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("Authenticator", () => {
  let store: Store;
  let nowMs: number;
  let authenticator: Authenticator;
  const none = { authorization: [], certificateName: undefined };
  const withToken = (token: string) => ({
    authorization: [`Bearer ${token}`],
    certificateName: undefined,
  });

  beforeEach(async () => {
    store = await openStore("sqlite::memory:");
    nowMs = 1_000_000;
    authenticator = new Authenticator({ db: store.db, recheckMs: 1000, now: () => nowMs });
  });

  afterEach(async () => {
    await store.close();
  });

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => "allowed",
      (error: AppError) => `${error.code}: ${error.message}`,
    );

  it("lets everything through in development mode, until a token exists", async () => {
    expect(await authenticator.authenticate(none)).toEqual({ kind: "development" });
    const created = await createToken(store.db, { kind: "consumer" }, nowMs);
    expect(await authenticator.authenticate(none)).toEqual({ kind: "development" }); // cached
    nowMs += 1000;
    expect(await failure(authenticator.authenticate(none))).toMatch(
      /^UNAUTHENTICATED: this call needs an access token/,
    );
    expect(await authenticator.authenticate(withToken(created.token))).toEqual({
      kind: "consumer",
      tokenId: created.id,
    });
  });

  it("ends development mode at once when a valid token is presented", async () => {
    const created = await createToken(store.db, { kind: "plugin", pluginKey: "knn" }, nowMs);
    expect(await authenticator.authenticate(withToken(created.token))).toEqual({
      kind: "plugin",
      key: "knn",
      tokenId: created.id,
    });
    expect(authenticator.isEnforcing).toBe(true);
  });

  it("refuses a revoked token once its cached row is older than the recheck interval", async () => {
    const created = await createToken(store.db, { kind: "consumer" }, nowMs);
    await authenticator.authenticate(withToken(created.token));
    await revokeTokenById(store.db, created.id, nowMs);
    expect(await failure(authenticator.authenticate(withToken(created.token)))).toBe("allowed");
    nowMs += 1000;
    expect(await failure(authenticator.authenticate(withToken(created.token)))).toMatch(
      /^UNAUTHENTICATED: token \d+ was revoked at/,
    );
    expect(await authenticator.invalidAmong([created.id, 999])).toEqual(new Set([created.id, 999]));
  });

  it("takes a verified certificate's common name as the plugin key, when enforcing", async () => {
    await createToken(store.db, { kind: "consumer" }, nowMs);
    await authenticator.refreshPosture();
    expect(await authenticator.authenticate({ authorization: [], certificateName: "knn" })).toEqual(
      {
        kind: "plugin",
        key: "knn",
        tokenId: null,
      },
    );
    expect(
      await failure(authenticator.authenticate({ authorization: [], certificateName: "a b" })),
    ).toMatch(/^UNAUTHENTICATED: .*common name "a b" is not a plugin key/);
  });

  it.each([
    [["Bearer a", "Bearer b"], /one authorization metadata entry/],
    [["Basic abc"], /must be "Bearer <token>"/],
    [["Bearer tcc_short"], /not a Training Core token/],
    [[`Bearer tcc_${"A".repeat(43)}`], /not known to this core/],
  ])("refuses %o", async (authorization, message) => {
    const outcome = await failure(
      authenticator.authenticate({ authorization, certificateName: undefined }),
    );
    expect(outcome).toMatch(/^UNAUTHENTICATED: /);
    expect(outcome).toMatch(message);
  });

  it("refuses a token whose prefix claims another kind than its row", async () => {
    const created = await createToken(store.db, { kind: "consumer" }, nowMs);
    const forged = created.token.replace(/^tcc_/, "tcp_");
    expect(await failure(authenticator.authenticate(withToken(forged)))).toMatch(/not known/);
  });
});
