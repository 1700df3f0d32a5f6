/**
 * Server credentials from the TLS settings: plaintext without CORE_TLS_CERT, TLS with it, and
 * mutual TLS (a client certificate signed by CORE_TLS_CLIENT_CA required on every connection)
 * with CORE_TLS_CLIENT_CA. Files are read once, at start.
 */
import { readFileSync } from "node:fs";
import { ServerCredentials } from "@grpc/grpc-js";
import { ConfigError } from "../../config.js";

export interface TlsFiles {
  /** PEM certificate chain of the server; '' for plaintext. */
  readonly certPath: string;
  /** PEM private key of the server. */
  readonly keyPath: string;
  /** PEM CA bundle that signs client certificates; '' for server-only TLS. */
  readonly clientCaPath: string;
}

/** The file at `path`, which must hold PEM data; a ConfigError naming `env` and the path if not. */
export function readPem(env: string, path: string, marker: RegExp): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${env}=${path}: cannot read the file (${reason})`);
  }
  if (!marker.test(content.toString("latin1"))) {
    throw new ConfigError(`${env}=${path}: not a PEM file (no "-----BEGIN …" line found)`);
  }
  return content;
}

export const pemMarkers = {
  certificate: /-----BEGIN CERTIFICATE-----/,
  privateKey: /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
} as const;

export type TransportSecurity = "plaintext" | "tls" | "mutual-tls";

export function securityOf(files: TlsFiles): TransportSecurity {
  if (files.certPath === "") return "plaintext";
  return files.clientCaPath === "" ? "tls" : "mutual-tls";
}

export function createServerCredentials(files: TlsFiles): ServerCredentials {
  if (files.certPath === "") return ServerCredentials.createInsecure();
  const cert = readPem("CORE_TLS_CERT", files.certPath, pemMarkers.certificate);
  const key = readPem("CORE_TLS_KEY", files.keyPath, pemMarkers.privateKey);
  const clientCa =
    files.clientCaPath === ""
      ? null
      : readPem("CORE_TLS_CLIENT_CA", files.clientCaPath, pemMarkers.certificate);
  return ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: cert, private_key: key }],
    clientCa !== null,
  );
}
