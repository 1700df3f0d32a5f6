/** The `tokens` table (access tokens, stored hashed) and the access queries their holders need. */
import type { Knex } from "knex";

export type TokenKind = "plugin" | "consumer";

export interface TokenRow {
  id: number;
  /** 'plugin' or 'consumer'. */
  kind: TokenKind;
  /** The plugin key a plugin token stands for; null for a consumer token. */
  plugin_key: string | null;
  /** Lower-case hex SHA-256 of the whole token text. */
  hash: string;
  created_ms: number;
  /** When the token was revoked; null while it is valid. */
  revoked_ms: number | null;
  /** Free text to tell tokens apart in `token list`. */
  label: string;
}

export type NewTokenRow = Omit<TokenRow, "id" | "revoked_ms">;

export async function insertToken(db: Knex, row: NewTokenRow): Promise<number> {
  const [inserted]: ({ id: number } | number)[] = await db("tokens")
    .insert({ ...row, revoked_ms: null })
    .returning("id");
  return typeof inserted === "object" ? Number(inserted.id) : Number(inserted);
}

export async function findTokenByHash(db: Knex, hash: string): Promise<TokenRow | undefined> {
  return db<TokenRow>("tokens").where({ hash }).first();
}

export async function listTokens(db: Knex): Promise<TokenRow[]> {
  return db<TokenRow>("tokens").select("*").orderBy("id");
}

/** Sets revoked_ms unless already set; the row as it is afterwards, or undefined if unknown. */
export async function revokeToken(
  db: Knex,
  id: number,
  nowMs: number,
): Promise<TokenRow | undefined> {
  await db("tokens").where({ id }).whereNull("revoked_ms").update({ revoked_ms: nowMs });
  return db<TokenRow>("tokens").where({ id }).first();
}

/** True once any token row exists, revoked or not. */
export async function anyTokenExists(db: Knex): Promise<boolean> {
  const row = await db("tokens").select("id").first();
  return row !== undefined;
}

/** The ids among `ids` that are revoked or no longer exist. */
export async function invalidTokenIds(db: Knex, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const unique = [...new Set(ids)];
  const valid: { id: number }[] = await db("tokens")
    .select("id")
    .whereIn("id", unique)
    .whereNull("revoked_ms");
  const validIds = new Set(valid.map((row) => Number(row.id)));
  return new Set(unique.filter((id) => !validIds.has(id)));
}

export interface DatasetAccess {
  /**
   * The blob is the training or holdout set of at least one project, or the running cases of a
   * prescription job.
   */
  readonly isProjectDataset: boolean;
  /**
   * One of those projects has a membership of the plugin key; for running cases, the job has
   * a request of the key.
   */
  readonly assigned: boolean;
}

/**
 * Whether `blobId` is a project's training/holdout set (or a job's running cases), and one
 * that `pluginKey` works on.
 */
export async function datasetAccessOf(
  db: Knex,
  blobId: string,
  pluginKey: string,
): Promise<DatasetAccess> {
  const projects = db("projects")
    .select("id")
    .where("training_blob_id", blobId)
    .orWhere("holdout_blob_id", blobId);
  const project = await projects.clone().first();
  if (!project) return runningCasesAccessOf(db, blobId, pluginKey);
  const membership = await db("memberships")
    .select("id")
    .whereIn("project_id", projects)
    .andWhere("plugin_key", pluginKey)
    .first();
  return { isProjectDataset: true, assigned: membership !== undefined };
}

/** Whether `blobId` is a job's running-cases set, and one with a request of `pluginKey`. */
async function runningCasesAccessOf(
  db: Knex,
  blobId: string,
  pluginKey: string,
): Promise<DatasetAccess> {
  const jobs = db("prescription_jobs").select("id").where("cases_blob_id", blobId);
  const job = await jobs.clone().first();
  if (!job) return { isProjectDataset: false, assigned: false };
  const request = await db("prescription_requests")
    .select("id")
    .whereIn("job_id", jobs)
    .andWhere("plugin_key", pluginKey)
    .first();
  return { isProjectDataset: true, assigned: request !== undefined };
}
