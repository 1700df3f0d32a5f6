import { type ChannelCredentials, type ClientOptions, credentials } from "@grpc/grpc-js";
import { loadConfig } from "../../src/config.js";
import { type RunningCore, startCore } from "../../src/core.js";
import { DatasetServiceClient } from "../../src/gen/trainingcore/v1/dataset_service.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { createLogger } from "../../src/logger.js";
import { bearerInterceptor } from "../../src/sdk/bearer.js";

export interface TestCoreOptions {
  readonly replicaTtlMs?: number;
  onlineInquiryIntervalMs?: number;
  maxDatasetBytes?: number;
  maxUploadBytes?: number;
  timeouts?: { dataReportMs: number; trainingStartMs: number; trainingMs: number };
  maxInFlightPerStream?: number;
  deliveryLeaseMs?: number;
  /** CORE_PRESCRIPTION_TIMEOUT_MS; default: the core's default. */
  prescriptionTimeoutMs?: number;
  /** CORE_UPLOAD_RETENTION_MS; default: the core's default. */
  uploadRetentionMs?: number;
  /** CORE_STREAM_PRESCRIPTION_TIMEOUT_MS; default: the core's default. */
  streamPrescriptionTimeoutMs?: number;
  /** CORE_MAX_EVENTS_PER_POST; default: the core's default. */
  maxEventsPerPost?: number;
  /** CORE_EVENT_RETENTION; default: the core's default. */
  eventRetention?: number;
  port?: number;
  /** CORE_METRICS_ADDRESS, e.g. `127.0.0.1:0`; default: off. */
  metricsAddress?: string;
  /** CORE_TOKEN_RECHECK_MS; default: the core's default. */
  tokenRecheckMs?: number;
  /** CORE_TLS_CERT / CORE_TLS_KEY / CORE_TLS_CLIENT_CA; default: plaintext. */
  tls?: { certPath: string; keyPath: string; clientCaPath?: string };
  /** Credentials of the `projects` and `datasets` clients; default: plaintext. */
  clientCredentials?: ChannelCredentials;
  /** A token the `projects` and `datasets` clients send on every call; default: none. */
  token?: string;
}

/** Adds `authorization: Bearer <token>` to every call of a client (works on plaintext too). */
export { bearerInterceptor };

export interface TestCore {
  readonly core: RunningCore;
  readonly address: string;
  readonly projects: ProjectServiceClient;
  readonly datasets: DatasetServiceClient;
  stop(): Promise<void>;
}

/** Starts the real core on a free loopback port (or the given one) against `databaseUrl`. */
export async function startTestCore(
  databaseUrl: string,
  options: TestCoreOptions = {},
): Promise<TestCore> {
  const config = loadConfig({
    CORE_ADDRESS: `127.0.0.1:${options.port ?? 0}`,
    CORE_DATABASE_URL: databaseUrl,
    CORE_ONLINE_INQUIRY_INTERVAL_MS: String(options.onlineInquiryIntervalMs ?? 30_000),
    CORE_MAX_DATASET_BYTES: String(options.maxDatasetBytes ?? 8 * 1024 * 1024),
    CORE_MAX_UPLOAD_BYTES: String(options.maxUploadBytes ?? 1024 * 1024 * 1024),
    CORE_SHUTDOWN_GRACE_MS: "2000",
    CORE_MAX_INFLIGHT_PER_STREAM: String(options.maxInFlightPerStream ?? 16),
    CORE_DELIVERY_LEASE_MS: String(options.deliveryLeaseMs ?? 60_000),
    // Short, so tests that stop a replica abruptly see its work taken over quickly.
    CORE_REPLICA_TTL_MS: String(options.replicaTtlMs ?? 2000),
    CORE_METRICS_ADDRESS: options.metricsAddress ?? "",
    ...(options.uploadRetentionMs !== undefined && {
      CORE_UPLOAD_RETENTION_MS: String(options.uploadRetentionMs),
    }),
    ...(options.prescriptionTimeoutMs !== undefined && {
      CORE_PRESCRIPTION_TIMEOUT_MS: String(options.prescriptionTimeoutMs),
    }),
    ...(options.streamPrescriptionTimeoutMs !== undefined && {
      CORE_STREAM_PRESCRIPTION_TIMEOUT_MS: String(options.streamPrescriptionTimeoutMs),
    }),
    ...(options.maxEventsPerPost !== undefined && {
      CORE_MAX_EVENTS_PER_POST: String(options.maxEventsPerPost),
    }),
    ...(options.eventRetention !== undefined && {
      CORE_EVENT_RETENTION: String(options.eventRetention),
    }),
    ...(options.tokenRecheckMs !== undefined && {
      CORE_TOKEN_RECHECK_MS: String(options.tokenRecheckMs),
    }),
    ...(options.tls && {
      CORE_TLS_CERT: options.tls.certPath,
      CORE_TLS_KEY: options.tls.keyPath,
      CORE_TLS_CLIENT_CA: options.tls.clientCaPath ?? "",
    }),
    ...(options.timeouts && {
      CORE_DATA_REPORT_TIMEOUT_MS: String(options.timeouts.dataReportMs),
      CORE_TRAINING_START_TIMEOUT_MS: String(options.timeouts.trainingStartMs),
      CORE_TRAINING_TIMEOUT_MS: String(options.timeouts.trainingMs),
    }),
  });
  const core = await startCore(config, createLogger(process.env.TEST_LOG_LEVEL ?? "silent"));
  const clientCredentials = options.clientCredentials ?? credentials.createInsecure();
  const clientOptions: ClientOptions = options.token
    ? { interceptors: [bearerInterceptor(options.token)] }
    : {};
  const projects = new ProjectServiceClient(core.address, clientCredentials, clientOptions);
  const datasets = new DatasetServiceClient(core.address, clientCredentials, clientOptions);
  return {
    core,
    address: core.address,
    projects,
    datasets,
    async stop() {
      projects.close();
      datasets.close();
      await core.shutdown();
    },
  };
}
