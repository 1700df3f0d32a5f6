/**
 * Composition of a running core: store → use cases → gRPC server, and its orderly shutdown.
 */
import { Authenticator } from "./app/auth/authenticator.js";
import { startupPosture } from "./app/auth/posture.js";
import { ChangeFeed } from "./app/change-feed/change-feed.js";
import {
  type DeliveryClaims,
  SharedClaims,
  SingleReplicaClaims,
} from "./app/dispatch/delivery-claims.js";
import { Dispatcher } from "./app/dispatch/dispatcher.js";
import { startStoreProbe } from "./app/health/store-liveness-probe.js";
import { CoreMetrics } from "./app/metrics/core-metrics.js";
import { startOnlineInquiries } from "./app/plugins/online-inquirer.js";
import { PluginSessions } from "./app/plugins/plugin-sessions.js";
import { PreprocessingRunner } from "./app/preprocessing/runner.js";
import { Replica } from "./app/replication/replica.js";
import { startReplication } from "./app/replication/start-replication.js";
import { startDeadlineSweeps } from "./app/reports/deadline-sweeper.js";
import { GroupCommitter } from "./app/reports/group-commit.js";
import { ConfigError, type CoreConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { pipelinedCommitsOf } from "./store/commits/pipelined-commits.js";
import { openStore, type Store } from "./store/connect.js";
import { deleteOrphanedBlobs } from "./store/sql/claims.js";
import { AuthenticatedCalls, startRevocationChecks } from "./transport/auth/authenticated-calls.js";
import { securityOf } from "./transport/auth/credentials.js";
import { type MetricsServer, startMetricsServer } from "./transport/metrics/metrics-server.js";
import { OpenStreams } from "./transport/open-streams.js";
import { createGrpcServer } from "./transport/server.js";

export interface RunningCore {
  /** host:port actually bound (the real port when the configured one was 0). */
  readonly address: string;
  readonly port: number;
  readonly store: Store;
  /** host:port serving /metrics (the real port when the configured one was 0); undefined: off. */
  readonly metricsAddress: string | undefined;
  /** Resolves when every queued preprocessing job has finished (tests, benchmarks). */
  preprocessingIdle(): Promise<void>;
  /** Resolves when no TrainingData is being handed out (tests, benchmarks). */
  dispatchIdle(): Promise<void>;
  /**
   * Stops accepting calls, ends long-lived streams with UNAVAILABLE, lets in-flight calls and
   * transactions finish (up to the grace period), and closes the database.
   */
  shutdown(): Promise<void>;
}

/** How often the database is asked whether it answers (health follows it). */
const storeProbeIntervalMs = 1000;

/** Often enough to honour short test timeouts, rarely enough to cost nothing in production. */
function sweepIntervalFor(config: CoreConfig): number {
  const shortest = Math.min(...Object.values(config.timeouts));
  return Math.min(1000, Math.max(25, Math.floor(shortest / 4)));
}

export async function startCore(config: CoreConfig, logger: Logger): Promise<RunningCore> {
  const store = await openStore(config.databaseUrl, { replica: true });
  const { db } = store;
  // Without any token: development mode, on loopback only unless CORE_INSECURE=1.
  const authenticator = new Authenticator(db, config.tokenRecheckMs);
  const posture = startupPosture({
    address: config.address,
    insecure: config.insecure,
    tokensExist: await authenticator.refreshPosture(),
  });
  if (posture.kind === "refused") {
    await store.close();
    throw new ConfigError(posture.reason);
  }
  if (posture.kind === "development") logger.warn(posture.warning);
  const authCalls = new AuthenticatedCalls();
  const tls = {
    certPath: config.tlsCert,
    keyPath: config.tlsKey,
    clientCaPath: config.tlsClientCa,
  };
  const metrics = new CoreMetrics(db);
  const replica = new Replica(
    db,
    logger,
    { ttlMs: config.replicaTtlMs, sole: store.dialect === "sqlite" },
    metrics,
  );
  try {
    await replica.register();
  } catch (error) {
    await store.close();
    throw error;
  }
  const removed = await deleteOrphanedBlobs(db, replica.claimContext(), store.dialect === "sqlite");
  if (removed > 0) logger.info({ removed }, "removed files left incomplete by a stopped replica");

  const feed = new ChangeFeed();
  const sessions = new PluginSessions(2 * config.onlineInquiryIntervalMs);
  const committer = new GroupCommitter(db, logger, metrics);
  const shared = store.dialect === "postgres";
  const claims: DeliveryClaims = shared
    ? new SharedClaims(db, () => replica.claimContext())
    : new SingleReplicaClaims(db);
  const dispatcher = new Dispatcher(claims, sessions, feed, logger, {
    capacity: config.maxInFlightPerStream,
    leaseMs: config.deliveryLeaseMs,
    metrics,
  });
  const runner = new PreprocessingRunner(
    db,
    feed,
    logger,
    config.timeouts,
    () => replica.claimContext(),
    metrics,
  );
  const replication = shared
    ? await startReplication({
        config,
        db,
        feed,
        logger,
        replica,
        sessions,
        dispatcher,
        runner,
        metrics,
      })
    : undefined;
  if (replication === null) {
    await replica.leave();
    await store.close();
    throw new ConfigError("could not listen for the other replicas' notifications (see the log)");
  }

  const openStreams = new OpenStreams();

  const grpc = createGrpcServer({
    db,
    feed,
    sessions,
    committer,
    dispatcher,
    openStreams,
    logger,
    timeouts: config.timeouts,
    maxDatasetBytes: config.maxDatasetBytes,
    maxUploadBytes: config.maxUploadBytes,
    replicaId: replica.id,
    projectCreated: (projectId) => runner.enqueue(projectId),
    metrics,
    auth: { authenticator, calls: authCalls, logger },
    tls,
  });
  let metricsServer: MetricsServer | undefined;
  /** Undoes the start so far (a later step failed). */
  const abandon = async () => {
    replication?.bridge.stop();
    await replication?.listener.stop();
    await replica.leave();
    await metricsServer?.close();
    await store.close();
  };
  if (config.metricsAddress) {
    metrics.collectProcessMetrics();
    try {
      metricsServer = await startMetricsServer(config.metricsAddress, metrics.registry, logger);
    } catch (error) {
      await abandon();
      throw error;
    }
    logger.info({ address: metricsServer.address }, "metrics served on /metrics");
  }
  let port: number;
  try {
    port = await grpc.listen(config.address);
  } catch (error) {
    await abandon();
    throw error;
  }
  const stopRevocationChecks = startRevocationChecks(authenticator, authCalls, logger);
  const stopInquiries = startOnlineInquiries(sessions, config.onlineInquiryIntervalMs);
  const stopDeadlineSweeps = startDeadlineSweeps(
    { db, committer, feed, logger, timeouts: config.timeouts, metrics },
    sweepIntervalFor(config),
    replication ? replication.leadsSweeps : undefined,
  );
  const host = config.address.slice(0, config.address.lastIndexOf(":"));
  const address = `${host}:${port}`;
  replica.servingAt(address);
  replica.startBeating();
  await runner.resumePending();
  grpc.health.setServing(true);
  // After a failed disk flush nothing can be acknowledged any more: NOT_SERVING until restarted.
  let diskFailed = false;
  pipelinedCommitsOf(db).onSyncFailure((error) => {
    diskFailed = true;
    grpc.health.setServing(false);
    logger.fatal({ err: error }, "could not flush the database to disk; restart the core");
  });
  const stopStoreProbe = startStoreProbe(db, storeProbeIntervalMs, logger, (reachable) =>
    grpc.health.setServing(reachable && !diskFailed),
  );
  logger.info(
    {
      address,
      database: store.dialect,
      transport: securityOf(tls),
      authentication: authenticator.isEnforcing ? "tokens" : "development",
    },
    "training core serving",
  );

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    logger.info("shutting down");
    await stopRevocationChecks();
    await stopStoreProbe();
    grpc.health.close();
    stopInquiries();
    await stopDeadlineSweeps();
    dispatcher.stop();
    openStreams.endAll("the training core is shutting down; reconnect");
    await runner.stop();
    replication?.bridge.stop();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        logger.warn("grace period over; cutting the remaining calls");
        grpc.server.forceShutdown();
        resolve();
      }, config.shutdownGraceMs);
      grpc.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await committer.drain();
    await replica.leave();
    await replication?.listener.stop();
    await metricsServer?.close();
    await store.close();
    logger.info("stopped");
  };
  return {
    address,
    port,
    store,
    metricsAddress: metricsServer?.address,
    preprocessingIdle: () => runner.idle(),
    dispatchIdle: () => dispatcher.idle(),
    shutdown: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
