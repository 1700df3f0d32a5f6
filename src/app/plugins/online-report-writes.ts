import type { GroupCommitter } from "../reports/group-commit.js";
import { type PluginIdentity, recordOnlineReport } from "./online-report-checks.js";

/**
 * Stores OnlineReports: one that repeats the identity last stored for its key within
 * `windowMs` shares that write (waits for it when it is still running) instead of writing
 * again. Registrations and inquiry answers of many instances of one key then cost one write a
 * second, not one each (10,000 instances answering every interval would saturate the store);
 * `last_seen` is at most that much older. A failed write is not shared with later reports.
 */
export class OnlineReportWrites {
  private readonly last = new Map<
    string,
    { identity: string; atMs: number; write: Promise<void> }
  >();

  constructor(
    private readonly committer: GroupCommitter,
    private readonly windowMs = 1000,
  ) {}

  record(identity: PluginIdentity): Promise<void> {
    const json = JSON.stringify(identity);
    const nowMs = Date.now();
    const previous = this.last.get(identity.key);
    if (previous && previous.identity === json && nowMs - previous.atMs < this.windowMs) {
      return previous.write;
    }
    const entry = {
      identity: json,
      atMs: nowMs,
      write: recordOnlineReport(this.committer, identity),
    };
    this.last.set(identity.key, entry);
    entry.write.catch(() => {
      if (this.last.get(identity.key) === entry) this.last.delete(identity.key);
    });
    return entry.write;
  }
}
