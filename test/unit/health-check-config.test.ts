import { describe, expect, it } from "vitest";
import { readHealthCheckConfig } from "../../src/cli/health-check-config.js";

const tls = { CORE_TLS_CERT: "/tls/server.crt", CORE_TLS_KEY: "/tls/server.key" };

describe("readHealthCheckConfig", () => {
  it("dials CORE_ADDRESS in plaintext, a wildcard host on 127.0.0.1", () => {
    expect(readHealthCheckConfig({})).toEqual({
      address: "127.0.0.1:50051",
      loopback: true,
      tls: null,
    });
    expect(readHealthCheckConfig({ CORE_ADDRESS: "0.0.0.0:7000" }).address).toBe("127.0.0.1:7000");
    expect(readHealthCheckConfig({ CORE_ADDRESS: "[::]:7000" }).address).toBe("127.0.0.1:7000");
    expect(readHealthCheckConfig({ CORE_ADDRESS: "10.0.0.5:7000" })).toMatchObject({
      address: "10.0.0.5:7000",
      loopback: false,
    });
  });

  it("ignores the health check's certificate variables while the core serves plaintext", () => {
    expect(
      readHealthCheckConfig({ CORE_HEALTH_CHECK_CERT: "/c.crt", CORE_HEALTH_CHECK_CA: "/ca" }).tls,
    ).toBeNull();
  });

  it("with CORE_TLS_CERT, trusts it and CORE_HEALTH_CHECK_CA, and sends a client certificate if given", () => {
    expect(readHealthCheckConfig(tls).tls).toEqual({
      serverCertPath: "/tls/server.crt",
      caPath: "",
      client: null,
    });
    expect(
      readHealthCheckConfig({
        ...tls,
        CORE_TLS_CLIENT_CA: "/tls/clients.crt",
        CORE_HEALTH_CHECK_CA: " /tls/ca.crt ",
        CORE_HEALTH_CHECK_CERT: "/hc/client.crt",
        CORE_HEALTH_CHECK_KEY: "/hc/client.key",
      }).tls,
    ).toEqual({
      serverCertPath: "/tls/server.crt",
      caPath: "/tls/ca.crt",
      client: { certPath: "/hc/client.crt", keyPath: "/hc/client.key" },
    });
  });

  it("says what to set when mutual TLS is on and no client certificate is configured", () => {
    expect(() => readHealthCheckConfig({ ...tls, CORE_TLS_CLIENT_CA: "/tls/clients.crt" })).toThrow(
      "the core requires client certificates (CORE_TLS_CLIENT_CA); set CORE_HEALTH_CHECK_CERT and CORE_HEALTH_CHECK_KEY",
    );
  });

  it("refuses a client certificate without its key, and the core's own invalid settings", () => {
    expect(() =>
      readHealthCheckConfig({ ...tls, CORE_HEALTH_CHECK_CERT: "/hc/client.crt" }),
    ).toThrow("CORE_HEALTH_CHECK_CERT and CORE_HEALTH_CHECK_KEY go together");
    expect(() => readHealthCheckConfig({ CORE_TLS_CERT: "/tls/server.crt" })).toThrow(
      "CORE_TLS_CERT and CORE_TLS_KEY go together",
    );
  });
});
