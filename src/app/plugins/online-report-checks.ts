import { hasNul } from "../../domain/text-checks.js";
import { type PluginIdentity, upsertPlugin } from "../../store/sql/plugins.js";
import type { GroupCommitter } from "../reports/group-commit.js";

export type { PluginIdentity };

const keyPattern = /^[A-Za-z0-9._:-]{1,200}$/;
const maxTextLength = 10_000;
const maxParametersBytes = 256 * 1024;

/** Checks an OnlineReport; returns the problem, or undefined when it is well formed. */
export function checkIdentity(identity: PluginIdentity): string | undefined {
  if (!keyPattern.test(identity.key)) {
    return `OnlineReport.id must be 1 to 200 characters from [A-Za-z0-9._:-]; got ${JSON.stringify(identity.key.slice(0, 50))}`;
  }
  for (const field of ["name", "type", "description"] as const) {
    if (identity[field].length > maxTextLength) {
      return `OnlineReport.${field} is longer than ${maxTextLength} characters`;
    }
  }
  const fields = [identity.name, identity.type, identity.description];
  if (fields.some(hasNul) || hasNul(JSON.stringify(identity.parameters))) {
    return "OnlineReport text must not contain the NUL character (U+0000)";
  }
  if (JSON.stringify(identity.parameters).length > maxParametersBytes) {
    return `OnlineReport.parameters is larger than ${maxParametersBytes} bytes`;
  }
  return undefined;
}

/** Stores the plugin's identity and last-seen time; resolves once committed. */
export function recordOnlineReport(
  committer: GroupCommitter,
  identity: PluginIdentity,
): Promise<void> {
  return committer.run(({ trx }) => upsertPlugin(trx, identity, Date.now()));
}
