// CreateProject's use case called directly (no server), for store-level tests.
import type { Knex } from "knex";
import {
  type CreatedProject,
  type CreateProjectInput,
  createProject,
} from "../../src/app/projects/create-project.js";
import { KnownPluginKeys } from "../../src/app/projects/known-plugin-keys.js";
import { tinyCsv } from "./projects.js";

/** A project of the tiny inline CSV for key "k", unless `input` says otherwise. */
export function createProjectDirectly(
  db: Knex,
  input: Partial<CreateProjectInput> = {},
  knownKeys = new KnownPluginKeys(db),
): Promise<CreatedProject> {
  return createProject(
    {
      name: "small",
      description: "",
      datasetCsv: Buffer.from(tinyCsv),
      datasetId: "",
      caseIdColumn: "",
      holdoutFraction: undefined,
      pluginKeys: ["k"],
      parameters: {},
      additionalInfo: {},
      requestId: "",
      definition: undefined,
      ...input,
    },
    { db, knownKeys, maxDatasetBytes: 1 << 20, onlineKeys: () => [], created: () => {} },
  );
}
