// The model: every membership in the database and the protocol's rules, written independently
// of the core (from the protocol's documentation and the plugin state machine), so that it can
// predict the code of every Ack.
import { status } from "@grpc/grpc-js";

export interface ModelMembership {
  readonly projectId: number;
  readonly key: string;
  status: string;
  modelName: string;
  error: string;
}

export type ModelReport =
  | { readonly kind: "data"; readonly applicable: boolean }
  | { readonly kind: "start" }
  | { readonly kind: "model"; readonly modelName: string }
  | { readonly kind: "error"; readonly detail: string };

export class Model {
  constructor(
    readonly projectIds: ReadonlySet<number>,
    readonly memberships: Map<number, ModelMembership>,
  ) {}

  /** The Ack code the core must answer `report` from `key` with; applies its effect. */
  apply(key: string, projectId: number, pluginId: number, report: ModelReport): number {
    const positive = (id: number) => Number.isSafeInteger(id) && id > 0;
    if (!positive(projectId) || !positive(pluginId)) return status.INVALID_ARGUMENT;
    if (report.kind === "model") {
      if (report.modelName.trim() === "" || report.modelName.length > 1024) {
        return status.INVALID_ARGUMENT;
      }
    }
    if (report.kind === "error") {
      if (report.detail.trim() === "" || report.detail.length > 16 * 1024) {
        return status.INVALID_ARGUMENT;
      }
    }
    if (!this.projectIds.has(projectId)) return status.NOT_FOUND;
    const m = this.memberships.get(pluginId);
    if (!m || m.projectId !== projectId) return status.NOT_FOUND;
    if (m.key !== key) return status.PERMISSION_DENIED;
    const ok = status.OK;
    const refused = status.FAILED_PRECONDITION;
    const move = (next: string, fields: { modelName?: string; error?: string } = {}) => {
      m.status = next;
      m.modelName = fields.modelName ?? "";
      m.error = fields.error ?? "";
      return ok;
    };
    const before = ["WAITING", "PREPROCESSING", "TRAINING"];
    switch (report.kind) {
      case "data":
        if (m.status === "WAITING")
          return move(report.applicable ? "PREPROCESSING" : "NOT_APPLICABLE");
        if (["PREPROCESSING", "TRAINING", "TRAINED"].includes(m.status)) {
          return report.applicable ? ok : refused;
        }
        return m.status === "NOT_APPLICABLE" && !report.applicable ? ok : refused;
      case "start":
        if (m.status === "PREPROCESSING") return move("TRAINING");
        return m.status === "TRAINING" || m.status === "TRAINED" ? ok : refused;
      case "model":
        if (m.status === "TRAINING") return move("TRAINED", { modelName: report.modelName });
        return m.status === "TRAINED" && m.modelName === report.modelName ? ok : refused;
      case "error":
        if (before.includes(m.status)) return move("ERROR", { error: report.detail });
        return m.status === "ERROR" && m.error === report.detail ? ok : refused;
    }
  }
}
