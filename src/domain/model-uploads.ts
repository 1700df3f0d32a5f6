/**
 * Models the core keeps: when a membership may store (or store again) its model file, and how
 * a stored model binds the membership's `ModelName`. Pure: no I/O.
 *
 *   PREPROCESSING | TRAINING ──UploadModel──▶ stored (replacing an earlier upload)
 *   TRAINED ──UploadModel(same name, same bytes)──▶ unchanged (an SDK re-sending after a reconnect)
 *   anything else ──UploadModel──▶ refused
 *
 * Once a model is stored, a ModelName that moves the membership to TRAINED must repeat the name
 * it was uploaded under.
 */

import type { PluginStatus } from "./statuses.js";
import { hasNul } from "./text-checks.js";

export const maxModelNameLength = 200;

/** What is stored for a membership, as far as uploading goes. */
export interface ModelSlot {
  readonly status: PluginStatus;
  /** The name of the stored model; null when none is stored. */
  readonly uploadName: string | null;
  /** The stored model's SHA-256 (lower-case hex); null when none is stored. */
  readonly uploadSha256: string | null;
}

export type ModelUploadDecision =
  /** Store the new file, replacing any earlier one. */
  | { readonly decision: "store" }
  /** The very model is stored already: keep it, answer with it. */
  | { readonly decision: "same" }
  | { readonly decision: "refused"; readonly reason: string };

/** Why a model name is malformed, or undefined when it is fine. */
export function modelNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "model_name is required (1 to 200 characters)";
  if (name.length > maxModelNameLength) {
    return `model_name is longer than ${maxModelNameLength} characters`;
  }
  if (hasNul(name)) return "model_name must not contain the NUL character (U+0000)";
  return undefined;
}

/**
 * Whether an upload of `modelName` may be stored. `sha256` is the file's hash: the declared one
 * before the bytes arrive, the computed one after. Asked before the bytes arrive without a
 * declared hash (''), a TRAINED membership's exact re-upload cannot be told apart yet: the
 * answer is then "store" (go on receiving), and the question is asked again with the computed
 * hash before anything is linked.
 */
export function decideModelUpload(
  slot: ModelSlot,
  modelName: string,
  sha256: string,
): ModelUploadDecision {
  switch (slot.status) {
    case "PREPROCESSING":
    case "TRAINING":
      return { decision: "store" };
    case "TRAINED": {
      if (slot.uploadName === null) {
        return refused(
          slot,
          "it reported ModelName without uploading a model; upload before reporting ModelName",
        );
      }
      if (slot.uploadName !== modelName) {
        return refused(
          slot,
          `its stored model is "${slot.uploadName}", not "${modelName}"; a trained model cannot be replaced`,
        );
      }
      if (sha256 !== "" && sha256 !== slot.uploadSha256) {
        return refused(
          slot,
          `its stored model "${modelName}" has other bytes (sha256 ${slot.uploadSha256}); a trained model cannot be replaced`,
        );
      }
      return sha256 === "" ? { decision: "store" } : { decision: "same" };
    }
    case "WAITING":
      return refused(slot, "send a DataReport with applicable=true before uploading a model");
    case "NOT_APPLICABLE":
      return refused(slot, "it reported the dataset not applicable");
    case "ERROR":
      return refused(slot, "it failed; nothing more is accepted for it");
  }
}

function refused(slot: ModelSlot, why: string): ModelUploadDecision {
  return { decision: "refused", reason: `the plugin is ${slot.status}: ${why}` };
}

/**
 * Why a ModelName does not fit the stored model (the membership's model was uploaded under
 * another name), or undefined when it fits or no model is stored.
 */
export function modelNameMismatch(
  uploadName: string | null,
  modelName: string,
): string | undefined {
  if (uploadName === null || uploadName === modelName) return undefined;
  return `model_name "${modelName}" differs from the uploaded model "${uploadName}": report ModelName "${uploadName}", or upload the model again as "${modelName}"`;
}
