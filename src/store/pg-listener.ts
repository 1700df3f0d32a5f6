/**
 * A dedicated PostgreSQL connection for LISTEN (a pooled connection cannot listen: the pool
 * hands it to others). It reconnects on its own; after every reconnect `onGap` runs, since
 * notifications sent while it was away are lost. It can also hold session-level advisory
 * locks, which PostgreSQL releases the moment this connection ends (the process died): that
 * makes them leader locks that need no expiry.
 */
import pg from "pg";
import type { Logger } from "pino";

export interface PgListenerOptions {
  readonly url: string;
  readonly channel: string;
  readonly logger: Logger;
  readonly onNotification: (payload: string) => void;
  /** Notifications may have been missed (reconnected): re-read what matters. */
  readonly onGap: () => void;
}

const firstRetryMs = 200;
const maxRetryMs = 5_000;

export class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryMs = firstRetryMs;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly heldLocks = new Set<number>();

  constructor(private readonly options: PgListenerOptions) {}

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** True while this connection holds the advisory lock `key`. */
  holds(key: number): boolean {
    return this.heldLocks.has(key);
  }

  /** Takes the session-level advisory lock `key` if free; true when held (now or before). */
  async tryLock(key: number): Promise<boolean> {
    if (this.heldLocks.has(key)) return true;
    const client = this.client;
    if (!client) return false;
    try {
      const result = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock($1) AS locked",
        [key],
      );
      if (result.rows[0]?.locked && this.client === client) this.heldLocks.add(key);
    } catch (error) {
      this.options.logger.warn({ err: error }, "could not ask for an advisory lock");
    }
    return this.heldLocks.has(key);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.drop();
    await client?.end().catch(() => {});
  }

  private connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client));
    client.on("notification", (message) => {
      if (message.channel === this.options.channel && message.payload !== undefined) {
        this.options.onNotification(message.payload);
      }
    });
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(this.options.channel)}`);
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
    this.retryMs = firstRetryMs;
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return;
    this.drop();
    client.end().catch(() => {});
    if (this.stopped) return;
    this.options.logger.warn(
      { err: error, retryMs: this.retryMs },
      "lost the notification connection; reconnecting",
    );
    this.scheduleReconnect();
  }

  private drop(): void {
    this.client = undefined;
    this.heldLocks.clear();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => {
          if (!this.stopped) this.options.onGap();
        },
        (error: unknown) => {
          if (this.stopped) return;
          this.options.logger.warn({ err: error }, "notification connection failed; will retry");
          this.retryMs = Math.min(this.retryMs * 2, maxRetryMs);
          this.scheduleReconnect();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
