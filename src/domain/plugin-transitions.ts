/**
 * The plugin state machine: how one report moves one plugin membership.
 *
 *   WAITING ──DataReport(applicable)──▶ PREPROCESSING ──TrainingStart──▶ TRAINING ──ModelName──▶ TRAINED
 *   WAITING ──DataReport(not applicable)──▶ NOT_APPLICABLE
 *   WAITING | PREPROCESSING | TRAINING ──ErrorReport──▶ ERROR
 *
 * A report whose effect the plugin has already passed (a DataReport(applicable) while TRAINING,
 * the same ModelName again while TRAINED, …) is a duplicate: accepted, changing nothing, so that a
 * plugin may re-send every report that was not acknowledged. Anything else is rejected with a
 * reason that names the current status. Pure: no I/O.
 */
import type { PluginStatus } from "./statuses.js";

export type PluginReport =
  | { readonly kind: "data"; readonly applicable: boolean }
  | { readonly kind: "training-start" }
  | { readonly kind: "model-name"; readonly modelName: string }
  | { readonly kind: "error"; readonly detail: string };

export type PluginReportKind = PluginReport["kind"];

export interface PluginState {
  readonly status: PluginStatus;
  /** Set once TRAINED. */
  readonly modelName: string;
  /** Set once in ERROR. */
  readonly error: string;
}

export type TransitionOutcome =
  | { readonly outcome: "changed"; readonly next: PluginState }
  | { readonly outcome: "duplicate" }
  | { readonly outcome: "rejected"; readonly reason: string };

const duplicate: TransitionOutcome = { outcome: "duplicate" };

function changed(status: PluginStatus, fields: Partial<PluginState> = {}): TransitionOutcome {
  return { outcome: "changed", next: { status, modelName: "", error: "", ...fields } };
}

function rejected(state: PluginState, expectation: string): TransitionOutcome {
  return { outcome: "rejected", reason: `plugin is ${state.status}; ${expectation}` };
}

function applyDataReport(state: PluginState, applicable: boolean): TransitionOutcome {
  switch (state.status) {
    case "WAITING":
      return changed(applicable ? "PREPROCESSING" : "NOT_APPLICABLE");
    case "PREPROCESSING":
    case "TRAINING":
    case "TRAINED":
      return applicable ? duplicate : rejected(state, "it already reported the dataset applicable");
    case "NOT_APPLICABLE":
      return applicable
        ? rejected(state, "it already reported the dataset not applicable")
        : duplicate;
    case "ERROR":
      return rejected(state, "reports are no longer accepted");
  }
}

function applyTrainingStart(state: PluginState): TransitionOutcome {
  switch (state.status) {
    case "WAITING":
      return rejected(state, "send a DataReport with applicable=true first");
    case "PREPROCESSING":
      return changed("TRAINING");
    case "TRAINING":
    case "TRAINED":
      return duplicate;
    case "NOT_APPLICABLE":
      return rejected(state, "it reported the dataset not applicable");
    case "ERROR":
      return rejected(state, "reports are no longer accepted");
  }
}

function applyModelName(state: PluginState, modelName: string): TransitionOutcome {
  switch (state.status) {
    case "WAITING":
    case "PREPROCESSING":
      return rejected(state, "send TrainingStart first");
    case "TRAINING":
      return changed("TRAINED", { modelName });
    case "TRAINED":
      return state.modelName === modelName
        ? duplicate
        : rejected(state, `it already reported model "${state.modelName}"`);
    case "NOT_APPLICABLE":
      return rejected(state, "it reported the dataset not applicable");
    case "ERROR":
      return rejected(state, "reports are no longer accepted");
  }
}

function applyErrorReport(state: PluginState, detail: string): TransitionOutcome {
  switch (state.status) {
    case "WAITING":
    case "PREPROCESSING":
    case "TRAINING":
      return changed("ERROR", { error: detail });
    case "ERROR":
      return state.error === detail
        ? duplicate
        : rejected(state, "it already reported another error");
    case "TRAINED":
      return rejected(state, "training already finished");
    case "NOT_APPLICABLE":
      return rejected(state, "it reported the dataset not applicable");
  }
}

export function applyPluginReport(state: PluginState, report: PluginReport): TransitionOutcome {
  switch (report.kind) {
    case "data":
      return applyDataReport(state, report.applicable);
    case "training-start":
      return applyTrainingStart(state);
    case "model-name":
      return applyModelName(state, report.modelName);
    case "error":
      return applyErrorReport(state, report.detail);
  }
}
