/**
 * Every setting of the core: its environment variable, default and validation, read once.
 */
export interface CoreConfig {
  /** host:port the gRPC server binds; port 0 picks a free port. */
  readonly address: string;
  /** `sqlite:<path>` or `postgres://…`. */
  readonly databaseUrl: string;
  readonly logLevel: string;
  readonly onlineInquiryIntervalMs: number;
  /** Largest inline `dataset_csv` accepted by CreateProject. */
  readonly maxDatasetBytes: number;
  /** Largest file accepted by UploadDataset. */
  readonly maxUploadBytes: number;
  /** How long SIGTERM waits for in-flight calls before cutting them. */
  readonly shutdownGraceMs: number;
  /** TrainingData in flight per plugin stream (sent, no DataReport yet). */
  readonly maxInFlightPerStream: number;
  /** How long an instance has for a DataReport before its membership may go to another. */
  readonly deliveryLeaseMs: number;
  readonly replicaTtlMs: number;
  /** Serve without any token on a non-loopback address (development mode exposed). */
  readonly insecure: boolean;
  /** How stale a token lookup may be; how often open streams' tokens are checked. */
  readonly tokenRecheckMs: number;
  /** PEM server certificate chain; '' serves plaintext. */
  readonly tlsCert: string;
  /** PEM private key of `tlsCert`. */
  readonly tlsKey: string;
  /** PEM CA bundle for client certificates; '' means no mutual TLS. */
  readonly tlsClientCa: string;
  /** host:port serving Prometheus metrics on /metrics; '' = off. */
  readonly metricsAddress: string;
  /** Per-phase deadlines of plugin memberships. */
  readonly timeouts: PhaseTimeouts;
  /** How long a plugin has to answer a prescription request for a dataset. */
  readonly prescriptionTimeoutMs: number;
  /** How long an upload no project or job uses is kept (from its upload). */
  readonly uploadRetentionMs: number;
  /** A live (stream) prescription request's deadline, counted like a dataset request's. */
  readonly streamPrescriptionTimeoutMs: number;
  /** Most events one PostEvents call may carry. */
  readonly maxEventsPerPost: number;
  /** Live events kept per project; the oldest go first. */
  readonly eventRetention: number;
}

import type { PhaseTimeouts } from "./domain/deadlines.js";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

interface Setting {
  readonly env: string;
  readonly default: string;
  readonly meaning: string;
}

/** The table of settings; the README's configuration section mirrors it. */
export const settings = {
  address: {
    env: "CORE_ADDRESS",
    default: "127.0.0.1:50051",
    meaning: "host:port the gRPC server listens on (port 0: any free port)",
  },
  databaseUrl: {
    env: "CORE_DATABASE_URL",
    default: "sqlite:./data/training-core.db",
    meaning: "`sqlite:<path>` (embedded, single process) or `postgres://user:pass@host:port/db`",
  },
  logLevel: {
    env: "CORE_LOG_LEVEL",
    default: "info",
    meaning: "pino level: fatal, error, warn, info, debug, trace or silent",
  },
  onlineInquiryIntervalMs: {
    env: "CORE_ONLINE_INQUIRY_INTERVAL_MS",
    default: "30000",
    meaning:
      "how often plugins are sent OnlineInquiry; an instance that did not answer within two intervals is offline",
  },
  maxDatasetBytes: {
    env: "CORE_MAX_DATASET_BYTES",
    default: String(64 * 1024 * 1024),
    meaning: "largest `dataset_csv` CreateProject accepts (the gRPC message limit follows it)",
  },
  maxUploadBytes: {
    env: "CORE_MAX_UPLOAD_BYTES",
    default: String(8 * 1024 * 1024 * 1024),
    meaning: "largest file UploadDataset accepts, in bytes as sent (compressed for gzip)",
  },
  shutdownGraceMs: {
    env: "CORE_SHUTDOWN_GRACE_MS",
    default: "10000",
    meaning: "on SIGTERM, how long in-flight calls may take before they are cut",
  },
  maxInFlightPerStream: {
    env: "CORE_MAX_INFLIGHT_PER_STREAM",
    default: "16",
    meaning:
      "TrainingData sent to one plugin stream and not yet answered by a DataReport; the rest waits in the store",
  },
  deliveryLeaseMs: {
    env: "CORE_DELIVERY_LEASE_MS",
    default: "60000",
    meaning:
      "how long an instance has for its DataReport before the membership is offered to another instance",
  },
  replicaTtlMs: {
    env: "CORE_REPLICA_TTL_MS",
    default: "5000",
    meaning:
      "a replica whose heartbeat (every quarter of this) is older than this is considered dead: other replicas take over its preprocessing, leases and plugin sessions",
  },
  insecure: {
    env: "CORE_INSECURE",
    default: "0",
    meaning:
      "`1`: start even though no access token exists and the address is not loopback (everything open); `0`: refuse to",
  },
  tokenRecheckMs: {
    env: "CORE_TOKEN_RECHECK_MS",
    default: "5000",
    meaning:
      "how often open streams' tokens are checked against the tokens table (revoked: the stream ends), and how long a token lookup is cached",
  },
  tlsCert: {
    env: "CORE_TLS_CERT",
    default: "",
    meaning:
      "PEM certificate (chain) of the server: serve TLS instead of plaintext (with `CORE_TLS_KEY`)",
  },
  tlsKey: {
    env: "CORE_TLS_KEY",
    default: "",
    meaning: "PEM private key of `CORE_TLS_CERT`",
  },
  tlsClientCa: {
    env: "CORE_TLS_CLIENT_CA",
    default: "",
    meaning:
      "PEM CA certificate(s): require a client certificate signed by it (mutual TLS); its common name can stand for a plugin key",
  },
  metricsAddress: {
    env: "CORE_METRICS_ADDRESS",
    default: "",
    meaning:
      "host:port serving Prometheus metrics over HTTP on `/metrics` (no authentication: keep it on loopback or a private network); empty: off",
  },
  dataReportTimeoutMs: {
    env: "CORE_DATA_REPORT_TIMEOUT_MS",
    default: String(60 * 60 * 1000),
    meaning:
      "a plugin membership without DataReport this long after TrainingData was first due goes to ERROR",
  },
  trainingStartTimeoutMs: {
    env: "CORE_TRAINING_START_TIMEOUT_MS",
    default: String(60 * 60 * 1000),
    meaning: "a plugin without TrainingStart this long after its DataReport goes to ERROR",
  },
  trainingTimeoutMs: {
    env: "CORE_TRAINING_TIMEOUT_MS",
    default: String(24 * 60 * 60 * 1000),
    meaning: "a plugin without ModelName this long after TrainingStart goes to ERROR",
  },
  prescriptionTimeoutMs: {
    env: "CORE_PRESCRIPTION_TIMEOUT_MS",
    default: "600000",
    meaning:
      "a plugin's part of a prescription job (a dataset of running cases) not finished this long after its first delivery (or its creation while no instance of the key is connected) is TIMED_OUT",
  },
  uploadRetentionMs: {
    env: "CORE_UPLOAD_RETENTION_MS",
    default: "86400000",
    meaning:
      "an uploaded dataset no project or prescription job uses is deleted once it is this old (from its upload)",
  },
  streamPrescriptionTimeoutMs: {
    env: "CORE_STREAM_PRESCRIPTION_TIMEOUT_MS",
    default: "5000",
    meaning:
      "a plugin that has not answered a live event's prescription request this long after its first delivery (or its creation while no instance of the key is connected) is listed in `missing` for that event",
  },
  maxEventsPerPost: {
    env: "CORE_MAX_EVENTS_PER_POST",
    default: "1000",
    meaning: "most events one PostEvents call may carry (INVALID_ARGUMENT above)",
  },
  eventRetention: {
    env: "CORE_EVENT_RETENTION",
    default: "1000000",
    meaning:
      "live events (and their prescriptions) kept per project; the oldest are deleted first, and a reader whose cursor lies before what is kept gets FAILED_PRECONDITION",
  },
} as const satisfies Record<Exclude<keyof CoreConfig, "timeouts">, Setting> &
  Record<string, Setting>;

/** A year: long enough for any training, short enough to stay a safe integer when added to now. */
const maxTimeoutMs = 365 * 24 * 60 * 60 * 1000;
const logLevels = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

function read(env: NodeJS.ProcessEnv, setting: Setting): string {
  const value = env[setting.env]?.trim();
  return value ? value : setting.default;
}

function readInteger(env: NodeJS.ProcessEnv, setting: Setting, min: number, max: number): number {
  const raw = read(env, setting);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${setting.env}=${raw}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

function validateAddress(raw: string): string {
  const match = /^(.+):(\d{1,5})$/.exec(raw);
  if (!match || Number(match[2]) > 65535) {
    throw new ConfigError(`CORE_ADDRESS=${raw}: expected host:port, e.g. 127.0.0.1:50051`);
  }
  return raw;
}

function validateDatabaseUrl(raw: string): string {
  if (/^sqlite:.+/.test(raw) || /^postgres(ql)?:\/\/.+/.test(raw)) return raw;
  throw new ConfigError(
    `CORE_DATABASE_URL=${raw}: expected sqlite:<path> or postgres://user:pass@host:port/db`,
  );
}

function readFlag(env: NodeJS.ProcessEnv, setting: Setting): boolean {
  const raw = read(env, setting);
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  throw new ConfigError(`${setting.env}=${raw}: expected 1 or 0`);
}

function readTls(env: NodeJS.ProcessEnv): { tlsCert: string; tlsKey: string; tlsClientCa: string } {
  const tlsCert = read(env, settings.tlsCert);
  const tlsKey = read(env, settings.tlsKey);
  const tlsClientCa = read(env, settings.tlsClientCa);
  if ((tlsCert === "") !== (tlsKey === "")) {
    throw new ConfigError("CORE_TLS_CERT and CORE_TLS_KEY go together: set both (TLS) or neither");
  }
  if (tlsClientCa !== "" && tlsCert === "") {
    throw new ConfigError(
      "CORE_TLS_CLIENT_CA needs CORE_TLS_CERT and CORE_TLS_KEY: mutual TLS is TLS first",
    );
  }
  return { tlsCert, tlsKey, tlsClientCa };
}

function readMetricsAddress(env: NodeJS.ProcessEnv): string {
  const raw = read(env, settings.metricsAddress);
  const match = /^(.+):(\d{1,5})$/.exec(raw);
  if (raw !== "" && (!match || Number(match[2]) > 65535)) {
    throw new ConfigError(
      `CORE_METRICS_ADDRESS=${raw}: expected host:port, e.g. 127.0.0.1:9464, or empty (off)`,
    );
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): CoreConfig {
  const logLevel = read(env, settings.logLevel);
  if (!logLevels.has(logLevel)) {
    throw new ConfigError(
      `CORE_LOG_LEVEL=${logLevel}: expected one of ${[...logLevels].join(", ")}`,
    );
  }
  return {
    address: validateAddress(read(env, settings.address)),
    databaseUrl: validateDatabaseUrl(read(env, settings.databaseUrl)),
    logLevel,
    onlineInquiryIntervalMs: readInteger(env, settings.onlineInquiryIntervalMs, 100, 86_400_000),
    maxDatasetBytes: readInteger(env, settings.maxDatasetBytes, 1024, 1024 * 1024 * 1024),
    maxUploadBytes: readInteger(env, settings.maxUploadBytes, 1024, Number.MAX_SAFE_INTEGER),
    shutdownGraceMs: readInteger(env, settings.shutdownGraceMs, 0, 600_000),
    maxInFlightPerStream: readInteger(env, settings.maxInFlightPerStream, 1, 10_000),
    deliveryLeaseMs: readInteger(env, settings.deliveryLeaseMs, 100, maxTimeoutMs),
    replicaTtlMs: readInteger(env, settings.replicaTtlMs, 200, 600_000),
    insecure: readFlag(env, settings.insecure),
    tokenRecheckMs: readInteger(env, settings.tokenRecheckMs, 50, 600_000),
    ...readTls(env),
    metricsAddress: readMetricsAddress(env),
    timeouts: {
      dataReportMs: readInteger(env, settings.dataReportTimeoutMs, 1, maxTimeoutMs),
      trainingStartMs: readInteger(env, settings.trainingStartTimeoutMs, 1, maxTimeoutMs),
      trainingMs: readInteger(env, settings.trainingTimeoutMs, 1, maxTimeoutMs),
    },
    prescriptionTimeoutMs: readInteger(env, settings.prescriptionTimeoutMs, 1, maxTimeoutMs),
    uploadRetentionMs: readInteger(env, settings.uploadRetentionMs, 0, 365 * 86_400_000),
    streamPrescriptionTimeoutMs: readInteger(
      env,
      settings.streamPrescriptionTimeoutMs,
      1,
      maxTimeoutMs,
    ),
    maxEventsPerPost: readInteger(env, settings.maxEventsPerPost, 1, 100_000),
    eventRetention: readInteger(env, settings.eventRetention, 1, Number.MAX_SAFE_INTEGER),
  };
}
