/**
 * A temporary SQLite file that groups the events of an event log by case when the log does not
 * keep each case's events together. It stores runs of events (a payload the caller encodes)
 * keyed by their case's ordinal and the file order of their first event, and gives them back in
 * key order: case by case (cases in first-seen order), each case's runs in file order. Memory
 * stays within SQLite's page cache.
 *
 * The order is the table's own key: the rowid is `case ordinal << 32 | file order`, so reading
 * back is one sequential scan of the table's b-tree, with no index to maintain while writing
 * and no sort when reading. Inserts land where their case's runs are, which for the usual logs
 * (cases that interleave only locally) is at or near the end of the b-tree.
 *
 * The file is scratch: no journal, no syncs, an exclusive lock, and it is deleted on `close`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";

/**
 * The page cache, in KiB: enough for the b-tree pages that inserts of interleaving cases touch
 * (about a page per case open at once) without growing the process by more than that.
 */
const CACHE_KIB = 16 * 1024;
/** Larger pages than SQLite's 4 KiB: fewer pages per run of events, less overhead per page. */
const PAGE_BYTES = 16 * 1024;
/** File orders take the low 32 bits of the key. */
const MAX_FILE_ORDER = 2 ** 32 - 1;
/** Case ordinals take the high bits, below SQLite's sign bit. */
const MAX_CASE_ORDINAL = 2 ** 31 - 1;

export interface GroupedRun {
  /** The case's rank in first-seen order. */
  readonly caseOrdinal: number;
  /** The file order of the run's first event; increases along a case's runs. */
  readonly fileOrder: number;
  /** The run's events, encoded by the caller. */
  readonly payload: string;
}

export class CaseGroupingFile {
  private closed = false;
  private readonly insertAll: (runs: readonly GroupedRun[]) => void;

  private constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly dir: string,
  ) {
    const insert = db.prepare("INSERT INTO runs (key, payload) VALUES ((? << 32) | ?, ?)");
    this.insertAll = db.transaction((runs: readonly GroupedRun[]) => {
      for (const run of runs) {
        checkKey(run);
        insert.run(run.caseOrdinal, run.fileOrder, run.payload);
      }
    });
  }

  /** Creates the file in a new directory under `parentDir` (the OS temp directory by default). */
  static async create(parentDir: string = tmpdir()): Promise<CaseGroupingFile> {
    const { default: Database } = await import("better-sqlite3");
    let dir: string;
    try {
      dir = mkdtempSync(join(parentDir, "training-core-grouping-"));
    } catch (error) {
      throw new Error(
        `cannot create the temporary file that groups an event log by case in ${parentDir}: ` +
          `${(error as Error).message}; make the directory writable, or give another one`,
        { cause: error },
      );
    }
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Database(join(dir, "runs.sqlite"));
      db.pragma(`page_size = ${PAGE_BYTES}`);
      db.pragma("journal_mode = OFF");
      db.pragma("synchronous = OFF");
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma(`cache_size = -${CACHE_KIB}`);
      db.exec("CREATE TABLE runs (key INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
      return new CaseGroupingFile(db, dir);
    } catch (error) {
      db?.close();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stores runs, in one transaction. */
  write(runs: readonly GroupedRun[]): void {
    this.insertAll(runs);
  }

  /** Every run stored, case by case in ordinal order, each case's runs in file order. */
  *runsByCase(): Generator<GroupedRun, void, undefined> {
    const select = this.db
      .prepare("SELECT key >> 32, key & 4294967295, payload FROM runs ORDER BY key")
      .raw(true);
    for (const row of select.iterate() as IterableIterator<[number, number, string]>) {
      yield { caseOrdinal: row[0], fileOrder: row[1], payload: row[2] };
    }
  }

  /** Closes and deletes the file; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

function checkKey(run: GroupedRun): void {
  if (run.caseOrdinal > MAX_CASE_ORDINAL || run.fileOrder > MAX_FILE_ORDER) {
    throw new RangeError(
      `an event log of more than ${MAX_FILE_ORDER} events or ${MAX_CASE_ORDINAL} cases ` +
        "cannot be grouped by case; split the log",
    );
  }
}
