// The container health check (src/cli/health-check.ts) as a child process against a real core,
// over plaintext, TLS and mutual TLS. A consumer token exists, so the core enforces tokens: the
// check passes without one because the health service is open. SQLite only: the check does not
// touch the database.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/app/auth/token-admin.js";
import { openStore } from "../../src/store/connect.js";
import { type CliResult, collect, repoRoot } from "../helpers/cli.js";
import type { TestCore } from "../helpers/core.js";
import { freePort } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { type CertificateFiles, createTestPki, type TestPki } from "../helpers/tls.js";

/** The variables the check reads; all set, so the runner's own environment cannot leak in. */
interface HealthCheckEnv {
  CORE_ADDRESS: string;
  CORE_TLS_CERT?: string;
  CORE_TLS_KEY?: string;
  CORE_TLS_CLIENT_CA?: string;
  CORE_HEALTH_CHECK_CA?: string;
  CORE_HEALTH_CHECK_CERT?: string;
  CORE_HEALTH_CHECK_KEY?: string;
}

function runHealthCheck(env: HealthCheckEnv): Promise<CliResult> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/health-check.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CORE_TLS_CERT: "",
      CORE_TLS_KEY: "",
      CORE_TLS_CLIENT_CA: "",
      CORE_HEALTH_CHECK_CA: "",
      CORE_HEALTH_CHECK_CERT: "",
      CORE_HEALTH_CHECK_KEY: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collect(child, "health-check");
}

const serving: CliResult = { code: 0, stdout: "SERVING\n", stderr: "" };

describe("container health check [sqlite]", () => {
  const env = freshCorePerTest("sqlite", { deferStart: true });
  let pki: TestPki;

  beforeAll(async () => {
    pki = await createTestPki();
  });

  afterAll(async () => {
    await pki?.remove();
  });

  async function start(tls?: { server: CertificateFiles; mutual: boolean }): Promise<TestCore> {
    const store = await openStore(env.database.url);
    try {
      await createToken(store.db, { kind: "consumer" }, Date.now());
    } finally {
      await store.close();
    }
    return env.start({
      ...(tls && {
        tls: {
          certPath: tls.server.certPath,
          keyPath: tls.server.keyPath,
          clientCaPath: tls.mutual ? pki.ca.certPath : "",
        },
      }),
    });
  }

  /** The environment the core of `start` was given, as the container would hold it. */
  function tlsEnv(server: CertificateFiles, mutual = false) {
    return {
      CORE_TLS_CERT: server.certPath,
      CORE_TLS_KEY: server.keyPath,
      CORE_TLS_CLIENT_CA: mutual ? pki.ca.certPath : "",
    };
  }

  it("answers SERVING over plaintext, with the wildcard address checked on loopback", async () => {
    const { address } = await start();
    const wildcard = address.replace("127.0.0.1", "0.0.0.0");
    expect(await runHealthCheck({ CORE_ADDRESS: wildcard })).toEqual(serving);
  });

  it("over TLS, trusts the core's own certificate although its name is not the address", async () => {
    // A CA-signed certificate for another name; the check is given only that leaf, not the CA.
    const server = await pki.serverCertificate("core.example.com");
    const { address } = await start({ server, mutual: false });
    expect(await runHealthCheck({ CORE_ADDRESS: address, ...tlsEnv(server) })).toEqual(serving);
  });

  it("over TLS, falls back to an unverified probe on loopback when the files do not vouch for the core", async () => {
    // The core still serves its old certificate; CORE_TLS_CERT now holds a renewed one.
    const old = await pki.serverCertificate("core.example.com");
    const renewed = await pki.serverCertificate("core.example.com");
    const { address } = await start({ server: old, mutual: false });
    const fallback = await runHealthCheck({ CORE_ADDRESS: address, ...tlsEnv(renewed) });
    expect(fallback.code).toBe(0);
    expect(fallback.stdout).toBe("SERVING\n");
    expect(fallback.stderr).toMatch(
      /^note: the core's certificate did not verify against CORE_TLS_CERT \(.*\); checked over unverified TLS on loopback\n$/,
    );
    // With the CA that signed both, the probe verifies again.
    const withCa = await runHealthCheck({
      CORE_ADDRESS: address,
      ...tlsEnv(renewed),
      CORE_HEALTH_CHECK_CA: pki.ca.certPath,
    });
    expect(withCa).toEqual(serving);
  });

  it("over TLS, still answers NOT SERVING when nothing listens", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const down = await runHealthCheck({ CORE_ADDRESS: address, ...tlsEnv(pki.server) });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^NOT SERVING: 14 UNAVAILABLE: /);
  });

  it("with mutual TLS, presents CORE_HEALTH_CHECK_CERT, and says what to set without it", async () => {
    const { address } = await start({ server: pki.server, mutual: true });
    const client = await pki.clientCertificate("health-check");
    const withCertificate = await runHealthCheck({
      CORE_ADDRESS: address,
      ...tlsEnv(pki.server, true),
      CORE_HEALTH_CHECK_CERT: client.certPath,
      CORE_HEALTH_CHECK_KEY: client.keyPath,
    });
    expect(withCertificate).toEqual(serving);

    const without = await runHealthCheck({ CORE_ADDRESS: address, ...tlsEnv(pki.server, true) });
    expect(without).toEqual({
      code: 1,
      stdout:
        "NOT SERVING: the core requires client certificates (CORE_TLS_CLIENT_CA); set CORE_HEALTH_CHECK_CERT and CORE_HEALTH_CHECK_KEY to a certificate signed by that CA and its key\n",
      stderr: "",
    });
  });

  it("names the variable and the path of a file it cannot read", async () => {
    // Files are read before dialing, so no core is needed.
    const address = `127.0.0.1:${await freePort()}`;
    const missing = join(pki.dir, "missing.crt");
    const client = await pki.clientCertificate("health-check");
    const result = await runHealthCheck({
      CORE_ADDRESS: address,
      ...tlsEnv(pki.server, true),
      CORE_HEALTH_CHECK_CERT: missing,
      CORE_HEALTH_CHECK_KEY: client.keyPath,
    });
    expect(result).toEqual({
      code: 1,
      stdout: `NOT SERVING: CORE_HEALTH_CHECK_CERT=${missing}: cannot read the file (ENOENT: no such file or directory, open '${missing}')\n`,
      stderr: "",
    });
  });
});
