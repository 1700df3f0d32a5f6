import { AppError } from "../../domain/errors.js";
import { columnDefinitions, isColumnDefinition } from "../../domain/event-log/index.js";
import { hasNul } from "../../domain/text-checks.js";
import { type PluginIdentity, upsertPlugin } from "../../store/sql/plugins.js";
import type { GroupCommitter } from "../reports/group-commit.js";

export type { PluginIdentity };

const keyPattern = /^[A-Za-z0-9._:-]{1,200}$/;
const maxTextLength = 10_000;
const maxParametersBytes = 256 * 1024;

/** True for a valid plugin key (OnlineReport.id): also a token's plugin key, a certificate's CN. */
export function isPluginKey(key: string): boolean {
  return keyPattern.test(key);
}

/** Refuses (INVALID_ARGUMENT) an OnlineReport whose fields the core does not store. */
export function checkIdentity(identity: PluginIdentity): void {
  if (!isPluginKey(identity.key)) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `OnlineReport.id must be 1 to 200 characters from [A-Za-z0-9._:-]; got ${JSON.stringify(identity.key.slice(0, 50))}`,
    );
  }
  for (const field of ["name", "type", "description"] as const) {
    if (identity[field].length > maxTextLength) {
      throw new AppError(
        "INVALID_ARGUMENT",
        `OnlineReport.${field} is longer than ${maxTextLength} characters`,
      );
    }
  }
  const fields = [identity.name, identity.type, identity.description];
  if (fields.some(hasNul) || hasNul(JSON.stringify(identity.parameters))) {
    throw new AppError(
      "INVALID_ARGUMENT",
      "OnlineReport text must not contain the NUL character (U+0000)",
    );
  }
  if (JSON.stringify(identity.parameters).length > maxParametersBytes) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `OnlineReport.parameters is larger than ${maxParametersBytes} bytes`,
    );
  }
  checkNeededColumns(identity.neededColumns ?? []);
}

/** Every need is a ColumnDefinition (the transport reads 0 and unknown numbers as UNSPECIFIED). */
function checkNeededColumns(needed: readonly string[]): void {
  const position = needed.findIndex((value) => !isColumnDefinition(value));
  if (position < 0) return;
  throw new AppError(
    "INVALID_ARGUMENT",
    `OnlineReport.needed_columns[${position}] is COLUMN_DEFINITION_UNSPECIFIED or a value this ` +
      "core does not know: list only the columns the plugin needs, from " +
      columnDefinitions.map((name) => `COLUMN_DEFINITION_${name}`).join(", "),
  );
}

/** Stores the plugin's identity and last-seen time; resolves once committed. */
export function recordOnlineReport(
  committer: GroupCommitter,
  identity: PluginIdentity,
): Promise<void> {
  return committer.run(({ trx }) => upsertPlugin(trx, identity, Date.now()));
}
