import { credentials } from "@grpc/grpc-js";
import { loadConfig } from "../../src/config.js";
import { type RunningCore, startCore } from "../../src/core.js";
import { DatasetServiceClient } from "../../src/gen/trainingcore/v1/dataset_service.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { createLogger } from "../../src/logger.js";

export interface TestCoreOptions {
  onlineInquiryIntervalMs?: number;
  maxDatasetBytes?: number;
  maxUploadBytes?: number;
  timeouts?: { dataReportMs: number; trainingStartMs: number; trainingMs: number };
  maxInFlightPerStream?: number;
  deliveryLeaseMs?: number;
  port?: number;
}

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
    ...(options.timeouts && {
      CORE_DATA_REPORT_TIMEOUT_MS: String(options.timeouts.dataReportMs),
      CORE_TRAINING_START_TIMEOUT_MS: String(options.timeouts.trainingStartMs),
      CORE_TRAINING_TIMEOUT_MS: String(options.timeouts.trainingMs),
    }),
  });
  const core = await startCore(config, createLogger(process.env.TEST_LOG_LEVEL ?? "silent"));
  const projects = new ProjectServiceClient(core.address, credentials.createInsecure());
  const datasets = new DatasetServiceClient(core.address, credentials.createInsecure());
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
