/**
 * What the container health check dials and how, from the environment the core reads (it runs in
 * the same container): CORE_ADDRESS and the CORE_TLS_* settings, plus CORE_HEALTH_CHECK_* for
 * what only the check needs. Pure: files are read by the caller.
 */

import { ConfigError, hostOf, isLoopbackHost, loadConfig } from "../admin.js";

export const healthCheckVariables = {
  ca: "CORE_HEALTH_CHECK_CA",
  cert: "CORE_HEALTH_CHECK_CERT",
  key: "CORE_HEALTH_CHECK_KEY",
} as const;

export interface HealthCheckTls {
  /** CORE_TLS_CERT: the core's own certificate (chain), trusted as it is. */
  readonly serverCertPath: string;
  /** CORE_HEALTH_CHECK_CA: further trusted CA certificates; '' for none. */
  readonly caPath: string;
  /** CORE_HEALTH_CHECK_CERT / CORE_HEALTH_CHECK_KEY: the client certificate, for mutual TLS. */
  readonly client: { readonly certPath: string; readonly keyPath: string } | null;
}

export interface HealthCheckConfig {
  /** host:port to dial: CORE_ADDRESS, with a wildcard host (0.0.0.0, [::]) as 127.0.0.1. */
  readonly address: string;
  readonly loopback: boolean;
  /** null: plaintext. */
  readonly tls: HealthCheckTls | null;
}

function read(env: NodeJS.ProcessEnv, name: string): string {
  return env[name]?.trim() ?? "";
}

function readClientCertificate(env: NodeJS.ProcessEnv, mutual: boolean): HealthCheckTls["client"] {
  const certPath = read(env, healthCheckVariables.cert);
  const keyPath = read(env, healthCheckVariables.key);
  if ((certPath === "") !== (keyPath === "")) {
    throw new ConfigError(
      `${healthCheckVariables.cert} and ${healthCheckVariables.key} go together: set both or neither`,
    );
  }
  if (certPath !== "") return { certPath, keyPath };
  if (mutual) {
    throw new ConfigError(
      `the core requires client certificates (CORE_TLS_CLIENT_CA); set ${healthCheckVariables.cert} and ${healthCheckVariables.key} to a certificate signed by that CA and its key`,
    );
  }
  return null;
}

/** Throws ConfigError with a message that names the variable at fault. */
export function readHealthCheckConfig(env: NodeJS.ProcessEnv): HealthCheckConfig {
  const core = loadConfig(env);
  const address = core.address.replace(/^0\.0\.0\.0:|^\[::\]:/, "127.0.0.1:");
  const tls =
    core.tlsCert === ""
      ? null
      : {
          serverCertPath: core.tlsCert,
          caPath: read(env, healthCheckVariables.ca),
          client: readClientCertificate(env, core.tlsClientCa !== ""),
        };
  return { address, loopback: isLoopbackHost(hostOf(address)), tls };
}
