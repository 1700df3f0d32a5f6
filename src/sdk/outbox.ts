/**
 * Reports waiting for their Ack. Each report is sent on the current stream; reports about the
 * same job go one at a time (the next after the previous was acked), so they reach the core in
 * the order they were made even across retries. When a stream drops, every report without an
 * Ack is sent again, in order, on the next stream (reports are idempotent). An Ack with code
 * UNAVAILABLE (the core's store was unreachable) is retried after a jittered delay.
 */
import { status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Ack } from "../gen/trainingcore/v1/plugin_service.js";
import { PluginReportError, type ReportKind } from "./errors.js";
import type { Link, Report } from "./link.js";
import { jitteredDelay } from "./timing.js";
import type { ReconnectOptions } from "./types.js";

interface Entry {
  readonly kind: ReportKind;
  readonly pluginId: number;
  /** Reports with the same key go one at a time, in order (a job; a prescription request). */
  readonly orderKey: number | string;
  readonly message: Report;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** The stream it was sent on and whose Ack it awaits. */
  sentOn: Link | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  retries: number;
}

export class Outbox {
  /** Every report without an Ack (or refusal), in the order they were made. */
  private entries = new Set<Entry>();
  /** The reports of each order key, oldest first: only the oldest may be on its way. */
  private readonly byKey = new Map<number | string, Entry[]>();
  private link: Link | undefined;
  private closedWith: Error | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly retryDelays: ReconnectOptions,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Queues a report; resolves on its Ack with code 0, rejects on a refusal. Reports with the
   * same `orderKey` (default: the job's plugin id) are sent one after another.
   */
  submit(
    kind: ReportKind,
    pluginId: number,
    message: Report,
    orderKey: number | string = pluginId,
  ): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const entry: Entry = {
        kind,
        pluginId,
        orderKey,
        message,
        resolve,
        reject,
        sentOn: undefined,
        retryTimer: undefined,
        retries: 0,
      };
      this.entries.add(entry);
      const queue = this.byKey.get(orderKey);
      if (queue) {
        queue.push(entry);
      } else {
        this.byKey.set(orderKey, [entry]);
        this.send(entry);
      }
    });
  }

  /** A registered stream: sends, in order, every report that has no Ack yet. */
  attach(link: Link): void {
    this.link = link;
    for (const entry of this.entries) {
      if (this.byKey.get(entry.orderKey)?.[0] === entry) this.send(entry);
    }
  }

  /** The stream ended: its reports without an Ack wait for the next one. */
  detach(link: Link): void {
    if (this.link === link) this.link = undefined;
    for (const entry of this.entries) if (entry.sentOn === link) entry.sentOn = undefined;
  }

  /** Resolves once no report awaits an Ack. */
  idle(): Promise<void> {
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects every waiting report (and every later one) with `error`. */
  close(error: Error): void {
    this.closedWith ??= error;
    const entries = this.entries;
    this.entries = new Set();
    this.byKey.clear();
    for (const entry of entries) {
      clearTimeout(entry.retryTimer);
      entry.reject(error);
    }
    this.notifyIdle();
  }

  /** Sends `entry` (the oldest of its key) on the current stream, unless it is on its way. */
  private send(entry: Entry): void {
    const link = this.link;
    if (!link?.isOpen || entry.sentOn || entry.retryTimer) return;
    entry.sentOn = link;
    link.send(entry.message, (ack) => this.acked(entry, link, ack));
  }

  private acked(entry: Entry, link: Link, ack: Ack): void {
    if (entry.sentOn !== link) return;
    entry.sentOn = undefined;
    if (ack.code === status.UNAVAILABLE) {
      const delayMs = jitteredDelay(this.retryDelays, entry.retries++);
      this.logger.warn(
        { pluginId: entry.pluginId, report: entry.kind, reason: ack.message, delayMs },
        "the core could not store a report; sending it again",
      );
      entry.retryTimer = setTimeout(() => {
        entry.retryTimer = undefined;
        this.send(entry);
      }, delayMs);
      return;
    }
    this.entries.delete(entry);
    const queue = this.byKey.get(entry.orderKey);
    if (queue) {
      // The entry is the oldest of its key (only the oldest is ever sent).
      queue.shift();
      const next = queue[0];
      if (next) this.send(next);
      else this.byKey.delete(entry.orderKey);
    }
    if (ack.code === status.OK) {
      entry.resolve();
    } else {
      this.logger.warn(
        { pluginId: entry.pluginId, report: entry.kind, code: ack.code, reason: ack.message },
        "the core refused a report",
      );
      entry.reject(new PluginReportError(ack.code, ack.message, entry.kind, entry.pluginId));
    }
    if (this.entries.size === 0) this.notifyIdle();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
