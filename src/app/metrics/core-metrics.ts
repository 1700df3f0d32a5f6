/**
 * The core's Prometheus metrics: one registry per core instance (never prom-client's global
 * one, so several cores in one process do not collide). Callers record through the methods
 * below and never see prom-client; the transport's metrics server serves
 * `registry`. Recording is a few counter increments per message, so it stays on even when
 * nothing scrapes it; Node's process metrics are added only when the endpoint is served.
 *
 * Projects by status are counted on scrape with one GROUP BY query rather than maintained in
 * memory: the table is the truth, it survives restarts, and several cores sharing one
 * PostgreSQL database then agree (each reports the whole database: aggregate with max(), not
 * sum()).
 */
import type { Knex } from "knex";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { projectStatuses } from "../../domain/statuses.js";
import { blobKinds, storedBytesByKind } from "../../store/sql/retention.js";

const prefix = "training_core_";

/** 0.5 ms to 2.5 s: a commit on a local disk up to a database that is struggling. */
const secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const batchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/**
 * Increments of a labelled counter, by label value, added to prom-client on each scrape:
 * prom-client hashes the labels on every increment, too costly at a few per plugin message.
 */
class LabelCounts {
  private readonly counts = new Map<string, number>();

  inc(value: string): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }

  /** The counter's `collect`: adds what was counted since the last scrape. */
  addTo(metric: Counter<string>): void {
    for (const [value, count] of this.counts) metric.labels(value).inc(count);
    this.counts.clear();
  }
}

/** Default metrics whose collection walks every active handle or resource. */
const costlyProcessMetrics = [
  "nodejs_active_handles",
  "nodejs_active_handles_total",
  "nodejs_active_resources",
  "nodejs_active_resources_total",
  "nodejs_active_requests",
  "nodejs_active_requests_total",
];

export type RedeliveryReason = "lease_expired" | "holder_gone";

export class CoreMetrics {
  readonly registry = new Registry();
  private readonly openStreams: Gauge<"plugin_key">;
  private readonly received: Counter<"kind">;
  private readonly sent: Counter<"kind">;
  private readonly acks: Counter<"code">;
  private readonly ackSeconds: Histogram;
  private readonly transactionSeconds: Histogram<"outcome">;
  private readonly batchSize: Histogram;
  private readonly preprocessedBytes: Counter;
  private readonly redeliveries: Counter<"reason">;
  private readonly expiries: Counter<"status">;
  private readonly replicas: Gauge;
  private readonly notifications: Counter<"direction">;
  private readonly receivedCounts = new LabelCounts();
  private readonly sentCounts = new LabelCounts();
  private readonly ackCounts = new LabelCounts();
  private readonly notificationCounts = new LabelCounts();
  private defaultsOn = false;

  /** `db`: where projects are counted on scrape; without it that gauge is left out. */
  constructor(db?: Knex) {
    const registers = [this.registry];
    this.openStreams = new Gauge({
      name: `${prefix}plugin_streams_open`,
      help: "Registered plugin streams (Connect) open now, by plugin key",
      labelNames: ["plugin_key"],
      registers,
    });
    this.received = new Counter({
      name: `${prefix}plugin_messages_received_total`,
      help: "ConnectRequest messages received, by kind",
      labelNames: ["kind"],
      registers,
      collect: () => this.receivedCounts.addTo(this.received),
    });
    this.sent = new Counter({
      name: `${prefix}plugin_messages_sent_total`,
      help: "ConnectResponse messages sent, by kind",
      labelNames: ["kind"],
      registers,
      collect: () => this.sentCounts.addTo(this.sent),
    });
    this.acks = new Counter({
      name: `${prefix}plugin_acks_total`,
      help: "Acks sent to plugins, by numeric gRPC code (0: stored)",
      labelNames: ["code"],
      registers,
      collect: () => this.ackCounts.addTo(this.acks),
    });
    this.ackSeconds = new Histogram({
      name: `${prefix}plugin_ack_latency_seconds`,
      help: "From a ConnectRequest read off the stream to its Ack written to it",
      buckets: secondsBuckets,
      registers,
    });
    this.transactionSeconds = new Histogram({
      name: `${prefix}group_commit_transaction_seconds`,
      help: "Duration of one group-commit transaction (begin to commit or rollback)",
      labelNames: ["outcome"],
      buckets: secondsBuckets,
      registers,
    });
    this.batchSize = new Histogram({
      name: `${prefix}group_commit_batch_size`,
      help: "Units of work (reports, registrations, deadline expiries) per group-commit transaction",
      buckets: batchBuckets,
      registers,
    });
    this.preprocessedBytes = new Counter({
      name: `${prefix}preprocessing_bytes_total`,
      help: "Bytes of stored dataset files read by preprocessing (compressed size for gzip)",
      registers,
    });
    this.redeliveries = new Counter({
      name: `${prefix}redeliveries_total`,
      help: "TrainingData sent again: the lease ran out, or the instance holding it went away",
      labelNames: ["reason"],
      registers,
    });
    this.expiries = new Counter({
      name: `${prefix}deadline_expiries_total`,
      help: "Plugin memberships put in ERROR by a missed phase deadline, by the status they were in",
      labelNames: ["status"],
      registers,
    });
    this.replicas = new Gauge({
      name: `${prefix}replicas_live`,
      help: "Live core replicas on this database (this one included), as of the last heartbeat",
      registers,
    });
    this.notifications = new Counter({
      name: `${prefix}replica_notifications_total`,
      help: "Change notifications to and from other replicas (PostgreSQL NOTIFY), by direction",
      labelNames: ["direction"],
      registers,
      collect: () => this.notificationCounts.addTo(this.notifications),
    });
    if (db) {
      new Gauge({
        name: `${prefix}projects`,
        help: "Projects by status, counted in the database on each scrape",
        labelNames: ["status"],
        registers,
        async collect() {
          try {
            const counts = await countProjectsByStatus(db);
            for (const status of projectStatuses) this.set({ status }, counts.get(status) ?? 0);
          } catch {
            // Database unreachable: keep the last counts; health already reports the outage.
          }
        },
      });
      for (const [name, help, field] of [
        [
          "store_bytes",
          "Bytes of the complete stored files (uploads, datasets, training and holdout sets, running cases, models) by kind, summed in the database on each scrape",
          "bytes",
        ],
        ["store_files", "Complete stored files by kind, counted on each scrape", "files"],
      ] as const) {
        new Gauge({
          name: `${prefix}${name}`,
          help,
          labelNames: ["kind"],
          registers,
          async collect() {
            try {
              const stored = await storedBytesByKind(db);
              for (const kind of Object.values(blobKinds)) {
                this.set({ kind }, stored.get(kind)?.[field] ?? 0);
              }
            } catch {
              // Database unreachable: keep the last values.
            }
          },
        });
      }
    }
  }

  /** Adds Node's process metrics (CPU, memory, event loop lag, GC); once. */
  collectProcessMetrics(): void {
    if (this.defaultsOn) return;
    this.defaultsOn = true;
    collectDefaultMetrics({ register: this.registry });
    // These list every handle (socket, timer) at each scrape, which holds the event loop for
    // long with thousands of plugin streams. Open file descriptors stay (process_open_fds).
    for (const name of costlyProcessMetrics) this.registry.removeSingleMetric(name);
  }

  streamRegistered(key: string): void {
    this.openStreams.inc({ plugin_key: key });
  }

  streamClosed(key: string): void {
    this.openStreams.dec({ plugin_key: key });
  }

  /** `kind`: the ConnectRequest's message, e.g. `data_report` (`empty` when it has none). */
  messageReceived(kind: string): void {
    this.receivedCounts.inc(kind);
  }

  /** `kind`: the ConnectResponse's message: `ack`, `training_data` or `online_inquiry`. */
  messageSent(kind: string): void {
    this.sentCounts.inc(kind);
  }

  /** An Ack was written; `receivedMs` is `performance.now()` when its request was read. */
  ackWritten(code: number, receivedMs: number): void {
    this.ackCounts.inc(String(code));
    this.ackSeconds.observe((performance.now() - receivedMs) / 1000);
  }

  transaction(seconds: number, batchSize: number, committed: boolean): void {
    this.transactionSeconds.observe({ outcome: committed ? "commit" : "rollback" }, seconds);
    this.batchSize.observe(batchSize);
  }

  preprocessingRead(bytes: number): void {
    if (bytes > 0) this.preprocessedBytes.inc(bytes);
  }

  redelivered(reason: RedeliveryReason): void {
    this.redeliveries.inc({ reason });
  }

  deadlineExpired(status: string): void {
    this.expiries.inc({ status });
  }

  replicasLive(count: number): void {
    this.replicas.set(count);
  }

  /** A notification sent to the other replicas, or received from one of them. */
  replicaNotification(direction: "sent" | "received"): void {
    this.notificationCounts.inc(direction);
  }
}

/** One GROUP BY over the projects table: status → count. */
async function countProjectsByStatus(db: Knex): Promise<Map<string, number>> {
  const rows: { status: string; n: number | string }[] = await db("projects")
    .select("status")
    .count({ n: "*" })
    .groupBy("status");
  return new Map(rows.map((row) => [row.status, Number(row.n)]));
}
