/**
 * Stores a project's preprocessing progress (rows and stored bytes read) without holding up
 * the pipeline: writes are chained, never concurrent, and a failed one is only logged.
 */
import type { Knex } from "knex";
import type { Logger } from "../../logger.js";
import { recordPreprocessingProgress } from "../../store/sql/projects.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";

export interface PreprocessingProgressDeps {
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
}

export class PreprocessingProgress {
  private written: Promise<void> = Promise.resolve();

  constructor(private readonly deps: PreprocessingProgressDeps) {}

  report(projectId: number, rows: number, bytes: number): void {
    this.written = this.written
      .then(() => recordPreprocessingProgress(this.deps.db, projectId, { rows, bytes }))
      .then(() => this.deps.feed.projectChanged(projectId))
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, projectId }, "could not store progress"),
      );
  }

  /** Resolves once every progress write reported so far has ended. */
  settled(): Promise<void> {
    return this.written;
  }
}
