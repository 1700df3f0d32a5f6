/** What CreateProject is asked (see `createProject`). */
import type { EventLogDefinition } from "../../domain/event-log/index.js";

export interface CreateProjectInput {
  readonly name: string;
  readonly description: string;
  /** Inline dataset; or `datasetId` of an upload. Exactly one of them is set. */
  readonly datasetCsv: Uint8Array;
  readonly datasetId: string;
  readonly caseIdColumn: string;
  readonly holdoutFraction: number | undefined;
  readonly pluginKeys: readonly string[];
  readonly parameters: Record<string, Record<string, unknown>>;
  readonly additionalInfo: Record<string, Record<string, unknown>>;
  readonly requestId: string;
  /**
   * The event-log definition (event-log mode): checked against the dataset's header before
   * anything is stored. Undefined for a request without one, which is created as before.
   */
  readonly definition: EventLogDefinition | undefined;
  /**
   * Train again: the project whose stored dataset this one takes (no upload), with its values
   * for the fields left empty (see `resolveProjectSource`). 0 or undefined: none.
   */
  readonly sourceProjectId?: number;
}
