/**
 * Throwaway certificates for TLS tests, made with the `openssl` command line in a temporary
 * directory: a CA, a server certificate for 127.0.0.1/localhost, and client certificates whose
 * common name is a plugin key. openssl is already on every machine that runs the tests (Debian
 * base), so no dependency is added for it; EC P-256 keys keep generation to milliseconds.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type ChannelCredentials, credentials } from "@grpc/grpc-js";

const run = promisify(execFile);

export interface CertificateFiles {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TestPki {
  readonly dir: string;
  /** The CA that signs the server and client certificates. */
  readonly ca: CertificateFiles;
  /** For 127.0.0.1 and localhost. */
  readonly server: CertificateFiles;
  /** Another server certificate signed by `ca`, for the DNS name `name` only. */
  serverCertificate(name: string): Promise<CertificateFiles>;
  /** A client certificate with this common name, signed by `ca` (or by another, untrusted CA). */
  clientCertificate(
    commonName: string,
    options?: { untrusted?: boolean },
  ): Promise<CertificateFiles>;
  /** TLS credentials trusting `ca`; with a client certificate when `commonName` is given. */
  clientCredentials(commonName?: string): Promise<ChannelCredentials>;
  remove(): Promise<void>;
}

const keyOptions = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function files(dir: string, name: string): Promise<CertificateFiles> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  return { certPath, keyPath, cert: await readFile(certPath), key: await readFile(keyPath) };
}

async function createCa(dir: string, name: string): Promise<CertificateFiles> {
  await run("openssl", [
    "req",
    "-x509",
    ...keyOptions,
    "-keyout",
    join(dir, `${name}.key`),
    "-out",
    join(dir, `${name}.crt`),
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return files(dir, name);
}

async function createLeaf(
  dir: string,
  ca: CertificateFiles,
  name: string,
  commonName: string,
  extensions: string,
): Promise<CertificateFiles> {
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await run("openssl", [
    "req",
    ...keyOptions,
    "-keyout",
    join(dir, `${name}.key`),
    "-out",
    csr,
    "-subj",
    `/CN=${commonName}`,
  ]);
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certPath,
    "-CAkey",
    ca.keyPath,
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-days",
    "2",
    "-extfile",
    ext,
    "-out",
    join(dir, `${name}.crt`),
  ]);
  return files(dir, name);
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "training-core-tls-"));
  const ca = await createCa(dir, "test-ca");
  const server = await createLeaf(
    dir,
    ca,
    "server",
    "localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  let untrustedCa: CertificateFiles | undefined;
  let clients = 0;
  let servers = 0;
  const clientCertificate = async (commonName: string, options: { untrusted?: boolean } = {}) => {
    if (options.untrusted && !untrustedCa) untrustedCa = await createCa(dir, "untrusted-ca");
    const signer = options.untrusted && untrustedCa ? untrustedCa : ca;
    return createLeaf(
      dir,
      signer,
      `client-${++clients}`,
      commonName,
      "extendedKeyUsage=clientAuth\n",
    );
  };
  return {
    dir,
    ca,
    server,
    serverCertificate: (name) =>
      createLeaf(
        dir,
        ca,
        `server-${++servers}`,
        name,
        `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`,
      ),
    clientCertificate,
    async clientCredentials(commonName) {
      if (commonName === undefined) return credentials.createSsl(ca.cert);
      const client = await clientCertificate(commonName);
      return credentials.createSsl(ca.cert, client.key, client.cert);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
