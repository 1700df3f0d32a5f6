/**
 * A project's status is derived from its plugins' statuses. Plugins that are NOT_APPLICABLE or
 * in ERROR no longer count; of the remaining ones:
 * - every one TRAINED → TRAINED (the project is ready to use);
 * - every one at least TRAINING → TRAINING;
 * - otherwise → PREPROCESSING.
 * With none remaining the project is in ERROR: "no plugin is applicable" when every plugin
 * declined the dataset, "every plugin failed: …" (with their errors) otherwise. Pure: no I/O.
 */
import type { PluginStatus, ProjectStatus } from "./statuses.js";

export interface PluginMembership {
  readonly key: string;
  readonly status: PluginStatus;
  readonly error: string;
}

export interface DerivedProjectStatus {
  readonly status: ProjectStatus;
  /** Why the project is in ERROR; empty otherwise. */
  readonly error: string;
}

const atLeastTraining: ReadonlySet<PluginStatus> = new Set(["TRAINING", "TRAINED"]);

export function deriveProjectStatus(plugins: readonly PluginMembership[]): DerivedProjectStatus {
  if (plugins.length === 0) {
    return { status: "ERROR", error: "no plugin was assigned to the project" };
  }
  const remaining = plugins.filter((p) => p.status !== "NOT_APPLICABLE" && p.status !== "ERROR");
  if (remaining.length === 0) {
    const failed = plugins.filter((p) => p.status === "ERROR");
    if (failed.length === 0) return { status: "ERROR", error: "no plugin is applicable" };
    const details = failed.map((p) => `${p.key}: ${p.error || "no detail given"}`).join("; ");
    return { status: "ERROR", error: `every plugin failed: ${details}` };
  }
  if (remaining.every((p) => p.status === "TRAINED")) return { status: "TRAINED", error: "" };
  if (remaining.every((p) => atLeastTraining.has(p.status))) {
    return { status: "TRAINING", error: "" };
  }
  return { status: "PREPROCESSING", error: "" };
}
