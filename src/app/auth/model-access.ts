/**
 * Who may move which stored model: a plugin only its own key's models (upload and download);
 * a consumer may download (export) any model, never upload one. Development mode may do all.
 * Which RPC each kind may call at all is the transport's method rules.
 */
import { AppError } from "../../domain/errors.js";
import { describePrincipal, type Principal } from "./principal.js";

export type ModelAction = "upload" | "download";

export function checkModelAccess(
  principal: Principal,
  model: { readonly pluginId: number; readonly pluginKey: string },
  action: ModelAction,
): void {
  if (principal.kind === "plugin" && principal.key !== model.pluginKey) {
    throw new AppError(
      "PERMISSION_DENIED",
      `plugin_id ${model.pluginId} belongs to plugin "${model.pluginKey}"; ${describePrincipal(principal)} may ${action} only the models of plugin key "${principal.key}"`,
    );
  }
  if (principal.kind === "consumer" && action === "upload") {
    throw new AppError(
      "PERMISSION_DENIED",
      `${describePrincipal(principal)} may download (export) models, not upload them; only a plugin token of the membership's key may upload`,
    );
  }
}
