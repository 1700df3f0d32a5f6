/**
 * SQLite is the embedded, single-process store: a second core on the same file would dispatch
 * the same work twice. `<file>.lock` beside the database keeps a second core out. It is itself a
 * small SQLite database on which the core holds an exclusive lock for as long as it runs, so the
 * kernel releases it the moment the core's process ends, however it ends: nothing is left behind
 * to clean up, and no process id is trusted (one left in a file may belong to another process by
 * the next start). SQLite also refuses a second connection of the same process.
 *
 * The file stays in place on release: deleting it would let a core that opened it just before
 * lock a file that a third core no longer sees.
 */
import { closeSync, mkdirSync, openSync, readSync, unlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";

export class DatabaseInUseError extends Error {
  override readonly name = "DatabaseInUseError";
}

/** Lock files held by this process: only to word the error, SQLite decides. */
const heldHere = new Set<string>();

/** The first bytes of every SQLite database file. */
const sqliteMagic = Buffer.from("SQLite format 3\0", "latin1");
/** Where SQLite keeps `PRAGMA user_version` in the file: the owner's pid, for the message. */
const userVersionOffset = 60;

function readBytes(path: string, length: number, position: number): Buffer {
  const bytes = Buffer.alloc(length);
  const fd = openSync(path, "r");
  try {
    readSync(fd, bytes, 0, length, position);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/**
 * The pid the holder wrote, read as plain bytes: its exclusive lock keeps SQLite readers out.
 * Only called when this process holds no lock on the file, since closing any descriptor of a
 * file drops the process's POSIX locks on it.
 */
function ownerPid(lockPath: string): number | undefined {
  try {
    const pid = readBytes(lockPath, 4, userVersionOffset).readUInt32BE(0);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Opens `lockPath` and takes its lock; throws SQLite's error (SQLITE_BUSY: someone holds it). */
function take(lockPath: string): Database.Database {
  // timeout 0: a held lock is an answer, not something to wait for.
  const lock = new Database(lockPath, { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    // No journal file beside it, and no fsync: the pid is only for the message.
    lock.pragma("journal_mode = MEMORY");
    lock.pragma("synchronous = OFF");
    lock.exec("BEGIN EXCLUSIVE");
    lock.pragma(`user_version = ${process.pid}`);
    // In exclusive locking mode the write lock outlives the commit, until the connection closes.
    lock.exec("COMMIT");
    return lock;
  } catch (error) {
    lock.close();
    throw error;
  }
}

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

/** A lock file written by an older core (its pid as text) is no SQLite database: replace it. */
function isOldStyleLockFile(lockPath: string): boolean {
  try {
    return !readBytes(lockPath, sqliteMagic.length, 0).equals(sqliteMagic);
  } catch {
    return false;
  }
}

/**
 * Takes the lock that keeps every other core off the SQLite file at `databasePath`; returns the
 * release function. Throws DatabaseInUseError while another core (process or connection) has it.
 */
export function lockDatabaseFile(databasePath: string): () => void {
  const databaseFile = resolve(databasePath);
  const lockPath = `${databaseFile}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  const inUse = () => {
    const pid = heldHere.has(lockPath) ? undefined : ownerPid(lockPath);
    const owner = heldHere.has(lockPath) ? "in this process" : `pid ${pid ?? "unknown"}`;
    return new DatabaseInUseError(
      `another training core (${owner}) already uses ${databaseFile}: SQLite serves one core ` +
        "only; stop it, or use PostgreSQL (CORE_DATABASE_URL=postgres://…) to run several replicas",
    );
  };
  let lock: Database.Database;
  try {
    lock = take(lockPath);
  } catch (error) {
    if (sqliteCode(error) === "SQLITE_BUSY") throw inUse();
    if (heldHere.has(lockPath) || !isOldStyleLockFile(lockPath)) {
      throw new Error(
        `cannot lock ${lockPath} (${error instanceof Error ? error.message : String(error)}); ` +
          "if no training core runs on this database, delete that file and start again",
        { cause: error },
      );
    }
    unlinkSync(lockPath);
    try {
      lock = take(lockPath);
    } catch (retryError) {
      if (sqliteCode(retryError) === "SQLITE_BUSY") throw inUse();
      throw retryError;
    }
  }
  heldHere.add(lockPath);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldHere.delete(lockPath);
    lock.close();
  };
}
