/**
 * A running core, composed in the order it starts: the store → who may call → this replica →
 * the application (change feed, sessions, commits, dispatch, preprocessing) → the other
 * replicas → the gRPC and metrics servers → the background loops. `shutdown()` takes it down in
 * the order that lets in-flight calls and transactions finish. The process around it (config,
 * logger, signals, exit codes) is the entry point's; tests and tools embed the core as it is.
 */
import { Authenticator } from "./app/auth/authenticator.js";
import { startupPosture } from "./app/auth/posture.js";
import { ChangeFeed } from "./app/change-feed/change-feed.js";
import { SharedClaims, SingleReplicaClaims } from "./app/dispatch/delivery-claims.js";
import { Dispatcher } from "./app/dispatch/dispatcher.js";
import { startStoreProbe } from "./app/health/store-liveness-probe.js";
import { CoreMetrics } from "./app/metrics/core-metrics.js";
import { startOnlineInquiries } from "./app/plugins/online-inquirer.js";
import { PluginSessions } from "./app/plugins/plugin-sessions.js";
import { PreprocessingRunner } from "./app/preprocessing/runner.js";
import { JobPreparation } from "./app/prescriptions/jobs/job-preparation.js";
import { Replica } from "./app/replication/replica.js";
import { singleReplica, startReplication } from "./app/replication/start-replication.js";
import { startDeadlineSweeps } from "./app/reports/deadline-sweeper.js";
import { GroupCommitter } from "./app/reports/group-commit.js";
import {
  startStorageSweeps,
  storageSweepIntervalMs,
  sweepStorage,
} from "./app/retention/storage-sweeper.js";
import { ConfigError, type CoreConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { pipelinedCommitsOf } from "./store/commits/pipelined-commits.js";
import { openStore, type Store } from "./store/connect.js";
import { deleteOrphanedBlobs } from "./store/sql/claims.js";
import { AuthenticatedCalls, startRevocationChecks } from "./transport/auth/authenticated-calls.js";
import { securityOf } from "./transport/auth/credentials.js";
import { type MetricsServer, startMetricsServer } from "./transport/metrics/metrics-server.js";
import { OpenStreams } from "./transport/open-streams.js";
import { createGrpcServer, type GrpcServer } from "./transport/server.js";

export interface RunningCore {
  /** host:port actually bound (the real port when the configured one was 0). */
  readonly address: string;
  readonly port: number;
  readonly store: Store;
  /** host:port serving /metrics (the real port when the configured one was 0); undefined: off. */
  readonly metricsAddress: string | undefined;
  /** The change feed (tests that write rows directly notify through it). */
  readonly feed: ChangeFeed;
  /** Resolves when every queued preprocessing job has finished (tests, benchmarks). */
  preprocessingIdle(): Promise<void>;
  /** Resolves when every queued prescription job is prepared (tests). */
  preparationIdle(): Promise<void>;
  /** Resolves when no TrainingData is being handed out (tests, benchmarks). */
  dispatchIdle(): Promise<void>;
  /**
   * Runs the storage sweep now (retention; see storage-sweeper), as if at `nowMs` (tests);
   * how many files it removed.
   */
  sweepStorage(nowMs?: number): Promise<number>;
  /**
   * Stops accepting calls, ends long-lived streams with UNAVAILABLE, lets in-flight calls and
   * transactions finish (up to the grace period), and closes the database.
   */
  shutdown(): Promise<void>;
}

/** How often the database is asked whether it answers (health follows it). */
const storeProbeIntervalMs = 1000;

export async function startCore(config: CoreConfig, logger: Logger): Promise<RunningCore> {
  // What a start that fails halfway has to undo, run newest first.
  const undoOnFailure: (() => unknown)[] = [];
  try {
    // The store, and who may call: without any token, development mode (on loopback only,
    // unless CORE_INSECURE=1).
    const store = await openStore(config.databaseUrl, { replica: true });
    undoOnFailure.push(() => store.close());
    const { db } = store;
    const shared = store.dialect === "postgres";
    const metrics = new CoreMetrics(db);
    const authenticator = new Authenticator({ db, recheckMs: config.tokenRecheckMs });
    const posture = startupPosture({
      address: config.address,
      insecure: config.insecure,
      tokensExist: await authenticator.refreshPosture(),
    });
    if (posture.kind === "refused") throw new ConfigError(posture.reason);
    if (posture.kind === "development") logger.warn(posture.warning);

    // This process as one replica of the database.
    const replica = new Replica({ db, logger, metrics, ttlMs: config.replicaTtlMs, sole: !shared });
    await replica.register();
    undoOnFailure.push(() => replica.leave());
    const removed = await deleteOrphanedBlobs(db, replica.claimContext(), !shared);
    if (removed > 0) logger.info({ removed }, "removed files left incomplete by a stopped replica");

    // The application.
    const claimContext = () => replica.claimContext();
    const feed = new ChangeFeed();
    const sessions = new PluginSessions(2 * config.onlineInquiryIntervalMs);
    const committer = new GroupCommitter({ db, logger, metrics });
    const dispatcher = new Dispatcher({
      claims: shared
        ? new SharedClaims(db, committer, claimContext)
        : new SingleReplicaClaims(db, committer),
      sessions,
      feed,
      logger,
      metrics,
      capacity: config.maxInFlightPerStream,
      leaseMs: config.deliveryLeaseMs,
      requests: {
        claims: shared
          ? new SharedClaims(db, committer, claimContext)
          : new SingleReplicaClaims(db, committer),
        timeoutMs: config.prescriptionTimeoutMs,
      },
      stream: {
        claims: shared
          ? new SharedClaims(db, committer, claimContext)
          : new SingleReplicaClaims(db, committer),
        timeoutMs: config.streamPrescriptionTimeoutMs,
      },
    });
    undoOnFailure.push(() => dispatcher.stop());
    const { timeouts } = config;
    const runner = new PreprocessingRunner({
      db,
      feed,
      logger,
      metrics,
      timeouts,
      claims: claimContext,
    });
    const preparation = new JobPreparation({
      db,
      feed,
      logger,
      prescriptionTimeoutMs: config.prescriptionTimeoutMs,
      claims: claimContext,
    });

    // The other replicas sharing the database (PostgreSQL).
    const replication = shared
      ? await startReplication({
          databaseUrl: config.databaseUrl,
          db,
          feed,
          logger,
          metrics,
          replica,
          sessions,
          dispatcher,
          runner,
        })
      : singleReplica;
    if (replication === null) {
      throw new ConfigError("could not listen for the other replicas' notifications (see the log)");
    }
    undoOnFailure.push(
      () => replication.stopListening(),
      () => replication.stopNotifying(),
    );

    // The servers: metrics first, then gRPC.
    const openStreams = new OpenStreams();
    const authCalls = new AuthenticatedCalls();
    const tls = {
      certPath: config.tlsCert,
      keyPath: config.tlsKey,
      clientCaPath: config.tlsClientCa,
    };
    const grpc = createGrpcServer({
      db,
      feed,
      sessions,
      committer,
      dispatcher,
      openStreams,
      logger,
      timeouts,
      leaseMs: config.deliveryLeaseMs,
      maxDatasetBytes: config.maxDatasetBytes,
      maxUploadBytes: config.maxUploadBytes,
      replicaId: replica.id,
      projectCreated: (projectId) => runner.enqueue(projectId),
      prescriptionTimeoutMs: config.prescriptionTimeoutMs,
      streamPrescriptionTimeoutMs: config.streamPrescriptionTimeoutMs,
      maxEventsPerPost: config.maxEventsPerPost,
      eventRetention: config.eventRetention,
      jobCreated: (jobId) => preparation.enqueue(jobId),
      metrics,
      auth: { authenticator, calls: authCalls, logger },
      tls,
    });
    let metricsServer: MetricsServer | undefined;
    if (config.metricsAddress) {
      metrics.collectProcessMetrics();
      const served = await startMetricsServer(config.metricsAddress, metrics.registry, logger);
      undoOnFailure.push(() => served.close());
      logger.info({ address: served.address }, "metrics served on /metrics");
      metricsServer = served;
    }
    const port = await grpc.listen(config.address);
    undoOnFailure.push(() => grpc.server.forceShutdown());
    const address = `${config.address.slice(0, config.address.lastIndexOf(":"))}:${port}`;

    // The background loops, then serving.
    const stopRevocationChecks = startRevocationChecks(authenticator, authCalls, logger);
    undoOnFailure.push(stopRevocationChecks);
    const stopInquiries = startOnlineInquiries(sessions, config.onlineInquiryIntervalMs);
    undoOnFailure.push(stopInquiries);
    const storageSweep = { db, logger, uploadRetentionMs: config.uploadRetentionMs };
    const stopStorageSweeps = startStorageSweeps(
      storageSweep,
      storageSweepIntervalMs(config.uploadRetentionMs),
      replication.leadsSweeps,
    );
    undoOnFailure.push(stopStorageSweeps);
    const stopDeadlineSweeps = startDeadlineSweeps(
      {
        db,
        committer,
        feed,
        logger,
        timeouts,
        metrics,
        prescriptionTimeoutMs: config.prescriptionTimeoutMs,
        streamPrescriptionTimeoutMs: config.streamPrescriptionTimeoutMs,
      },
      sweepIntervalFor(config),
      replication.leadsSweeps,
    );
    undoOnFailure.push(stopDeadlineSweeps);
    replica.servingAt(address);
    replica.startBeating();
    await runner.resumePending();
    await preparation.resumePending();
    // PostgreSQL: the jobs of replicas that died are taken over with the heartbeat.
    if (shared) replica.addDuty(() => preparation.resumePending());
    const stopStoreProbe = serveHealth(grpc, db, logger);
    logger.info(
      {
        address,
        database: store.dialect,
        transport: securityOf(tls),
        authentication: authenticator.isEnforcing ? "tokens" : "development",
      },
      "training core serving",
    );

    const shutdown = async () => {
      logger.info("shutting down");
      // No more background work, and health says NOT_SERVING.
      await stopRevocationChecks();
      await stopStoreProbe();
      grpc.health.close();
      stopInquiries();
      await stopDeadlineSweeps();
      await stopStorageSweeps();
      // Nothing new handed out; long-lived streams told to reconnect (elsewhere, or here later).
      dispatcher.stop();
      openStreams.endAll("the training core is shutting down; reconnect");
      await runner.stop();
      await preparation.stop();
      replication.stopNotifying();
      // In-flight calls finish, then what they committed reaches the disk.
      await drainGrpc(grpc, config.shutdownGraceMs, logger);
      await committer.drain();
      // Leave the other replicas (giving back this one's claims), then close.
      await replica.leave();
      await replication.stopListening();
      await metricsServer?.close();
      await store.close();
      logger.info("stopped");
    };
    let stopping: Promise<void> | undefined;
    return {
      address,
      port,
      store,
      metricsAddress: metricsServer?.address,
      feed,
      preprocessingIdle: () => runner.idle(),
      preparationIdle: () => preparation.idle(),
      dispatchIdle: () => dispatcher.idle(),
      sweepStorage: (nowMs?: number) => sweepStorage(storageSweep, nowMs),
      shutdown: () => {
        stopping ??= shutdown();
        return stopping;
      },
    };
  } catch (error) {
    for (const undo of undoOnFailure.reverse()) {
      await Promise.resolve()
        .then(undo)
        .catch((undoError: unknown) => logger.warn({ err: undoError }, "could not undo a start"));
    }
    throw error;
  }
}

/** Often enough to honour short test timeouts, rarely enough to cost nothing in production. */
function sweepIntervalFor(config: CoreConfig): number {
  const shortest = Math.min(
    ...Object.values(config.timeouts),
    config.prescriptionTimeoutMs,
    config.streamPrescriptionTimeoutMs,
  );
  return Math.min(1000, Math.max(25, Math.floor(shortest / 4)));
}

/**
 * SERVING from now on while the database answers and the disk takes every flush; after one
 * failed flush nothing can be acknowledged any more, so NOT_SERVING until restarted. Returns
 * the stop of the database probe.
 */
function serveHealth(grpc: GrpcServer, db: Store["db"], logger: Logger): () => Promise<void> {
  grpc.health.setServing(true);
  let diskFailed = false;
  pipelinedCommitsOf(db).onSyncFailure((error) => {
    diskFailed = true;
    grpc.health.setServing(false);
    logger.fatal({ err: error }, "could not flush the database to disk; restart the core");
  });
  return startStoreProbe(db, storeProbeIntervalMs, logger, (reachable) =>
    grpc.health.setServing(reachable && !diskFailed),
  );
}

/** Lets in-flight calls finish within the grace period, then cuts the rest. */
function drainGrpc(grpc: GrpcServer, graceMs: number, logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      logger.warn("grace period over; cutting the remaining calls");
      grpc.server.forceShutdown();
      resolve();
    }, graceMs);
    grpc.server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
