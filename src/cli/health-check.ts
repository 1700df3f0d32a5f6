#!/usr/bin/env node
/**
 * Container health check: asks the core's standard gRPC health service whether it is SERVING.
 * Prints `SERVING` and exits 0, or `NOT SERVING: <reason>` and exits 1. It reads the core's own
 * environment (see health-check-config.ts), so it speaks TLS when the core does. The health
 * service needs no token, so the check sends none.
 */
import { createSecureContext } from "node:tls";
import { type ChannelCredentials, credentials, Metadata, status } from "@grpc/grpc-js";
import { pemMarkers, readPem } from "../admin.js";
import { HealthCheckResponse_ServingStatus, HealthClient } from "../gen/grpc/health/v1/health.js";
import {
  type HealthCheckConfig,
  type HealthCheckTls,
  healthCheckVariables,
  readHealthCheckConfig,
} from "./health-check-config.js";

const timeoutMs = 2000;

type Answer =
  | { readonly serving: true }
  | { readonly serving: false; readonly code?: status; readonly reason?: string };

interface TlsFiles {
  readonly roots: Buffer[];
  readonly client: { readonly cert: Buffer; readonly key: Buffer } | null;
}

function readTlsFiles(tls: HealthCheckTls): TlsFiles {
  const roots = [readPem("CORE_TLS_CERT", tls.serverCertPath, pemMarkers.certificate)];
  if (tls.caPath !== "") {
    roots.push(readPem(healthCheckVariables.ca, tls.caPath, pemMarkers.certificate));
  }
  const client = tls.client && {
    cert: readPem(healthCheckVariables.cert, tls.client.certPath, pemMarkers.certificate),
    key: readPem(healthCheckVariables.key, tls.client.keyPath, pemMarkers.privateKey),
  };
  return { roots, client };
}

/**
 * The check dials the core on loopback, so the name in the core's certificate (its public name)
 * will not match the address. Instead of a name, it trusts exactly the core's own certificate
 * (CORE_TLS_CERT; `allowPartialTrustChain` makes it a trust anchor even when a CA signed it) and
 * the CAs of CORE_HEALTH_CHECK_CA, and skips the host-name check. `verify: false` only encrypts.
 */
function tlsCredentials(files: TlsFiles, verify: boolean): ChannelCredentials {
  const context = createSecureContext({
    ca: files.roots,
    allowPartialTrustChain: true,
    ...(files.client && { cert: files.client.cert, key: files.client.key }),
  });
  return credentials.createFromSecureContext(
    context,
    verify ? { checkServerIdentity: () => undefined } : { rejectUnauthorized: false },
  );
}

function ask(address: string, channel: ChannelCredentials, deadline: number): Promise<Answer> {
  // An IP address is no valid TLS server name (Node warns about it): send a neutral one.
  const client = new HealthClient(address, channel, {
    "grpc.ssl_target_name_override": "localhost",
  });
  return new Promise((resolve) => {
    client.check({ service: "" }, new Metadata(), { deadline }, (error, response) => {
      client.close();
      if (error) resolve({ serving: false, code: error.code, reason: error.message });
      else resolve({ serving: response.status === HealthCheckResponse_ServingStatus.SERVING });
    });
  });
}

async function askOverTls(
  config: HealthCheckConfig,
  tls: HealthCheckTls,
  deadline: number,
): Promise<Answer> {
  const files = readTlsFiles(tls);
  const verified = await ask(config.address, tlsCredentials(files, true), deadline);
  if (verified.serving || verified.code !== status.UNAVAILABLE || !config.loopback) {
    return verified;
  }
  // The core serves a certificate the configured files do not vouch for (e.g. CORE_TLS_CERT was
  // renewed and the core not restarted yet, or a CA-signed certificate whose CA is not in
  // CORE_HEALTH_CHECK_CA), or it is simply down. On loopback, ask again without verifying: this
  // is a liveness probe of our own process, and it sends nothing secret (no token; a client
  // certificate is public, and its key only signs this handshake), so a server it cannot
  // authenticate learns nothing and can at worst answer SERVING, which anything able to listen on
  // this container's loopback could fake anyway. Off loopback, the failure stands.
  const unverified = await ask(config.address, tlsCredentials(files, false), deadline);
  if (unverified.serving) {
    process.stderr.write(
      `note: the core's certificate did not verify against CORE_TLS_CERT${tls.caPath ? ` or ${healthCheckVariables.ca}` : ""} (${verified.reason}); checked over unverified TLS on loopback\n`,
    );
  }
  return unverified;
}

async function check(): Promise<Answer> {
  const config = readHealthCheckConfig(process.env);
  const deadline = Date.now() + timeoutMs;
  return config.tls
    ? askOverTls(config, config.tls, deadline)
    : ask(config.address, credentials.createInsecure(), deadline);
}

check()
  .catch(
    (error: unknown): Answer => ({
      serving: false,
      reason: error instanceof Error ? error.message : String(error),
    }),
  )
  .then((answer) => {
    const reason = answer.serving ? "" : answer.reason;
    process.stdout.write(
      answer.serving ? "SERVING\n" : `NOT SERVING${reason ? `: ${reason}` : ""}\n`,
    );
    process.exit(answer.serving ? 0 : 1);
  });
