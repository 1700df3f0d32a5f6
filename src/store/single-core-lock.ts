/**
 * SQLite is the embedded, single-process store: a second core on the same file would dispatch
 * the same work twice. A lock file beside the database (`<file>.lock`, holding the owner's pid)
 * keeps a second core out; one left behind by a crashed core (its pid is gone) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";

export class ReplicaLockError extends Error {
  override readonly name = "ReplicaLockError";
}

/** Paths locked by this process: a second core in the same process is refused too. */
const lockedHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryCreate(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** Takes the lock of the SQLite file at `databasePath`; returns the release function. */
export function lockSqliteReplica(databasePath: string): () => void {
  const lockPath = `${resolve(databasePath)}.lock`;
  const refuse = (owner: string) =>
    new ReplicaLockError(
      `another training core (${owner}) already uses ${resolve(databasePath)}: SQLite serves one core ` +
        "only; stop it, or use PostgreSQL (CORE_DATABASE_URL=postgres://…) to run several replicas",
    );
  if (lockedHere.has(lockPath)) throw refuse("in this process");
  mkdirSync(dirname(lockPath), { recursive: true });
  if (!tryCreate(lockPath)) {
    const owner = Number(readFileSync(lockPath, "utf8").trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw refuse(`pid ${owner}`);
    }
    unlinkSync(lockPath); // left behind by a core that is gone
    if (!tryCreate(lockPath)) throw refuse("that started just now");
  }
  lockedHere.add(lockPath);
  return () => {
    lockedHere.delete(lockPath);
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone
    }
  };
}
