/** Creating, listing and revoking access tokens (the `training-core token` commands). */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import {
  insertToken,
  listTokens,
  revokeToken,
  type TokenKind,
  type TokenRow,
} from "../../store/sql/tokens.js";
import { isPluginKey } from "../plugins/online-report-checks.js";
import { issueToken } from "./token-format.js";

export interface NewToken {
  readonly kind: TokenKind;
  /** Required for a plugin token, absent for a consumer token. */
  readonly pluginKey?: string | undefined;
  readonly label?: string | undefined;
}

export interface CreatedToken {
  readonly id: number;
  /** The plain token: shown once, never stored. */
  readonly token: string;
  readonly row: TokenRow;
}

const maxLabelLength = 200;

export async function createToken(
  db: Knex,
  request: NewToken,
  nowMs: number,
): Promise<CreatedToken> {
  const label = request.label ?? "";
  if (label.length > maxLabelLength) {
    throw new AppError("INVALID_ARGUMENT", `the label is longer than ${maxLabelLength} characters`);
  }
  let pluginKey: string | null = null;
  if (request.kind === "plugin") {
    pluginKey = request.pluginKey ?? "";
    if (!isPluginKey(pluginKey)) {
      throw new AppError(
        "INVALID_ARGUMENT",
        `plugin key ${JSON.stringify(pluginKey.slice(0, 50))}: a plugin key (OnlineReport.id) is 1 to 200 characters from [A-Za-z0-9._:-]`,
      );
    }
  } else if (request.pluginKey !== undefined) {
    throw new AppError("INVALID_ARGUMENT", "a consumer token is not bound to a plugin key");
  }
  const { token, hash } = issueToken(request.kind);
  const row = { kind: request.kind, plugin_key: pluginKey, hash, created_ms: nowMs, label };
  const id = await insertToken(db, row);
  return { id, token, row: { ...row, id, revoked_ms: null } };
}

export function listAllTokens(db: Knex): Promise<TokenRow[]> {
  return listTokens(db);
}

/** Revokes a token (again: no change); the row afterwards. */
export async function revokeTokenById(db: Knex, id: number, nowMs: number): Promise<TokenRow> {
  const row = await revokeToken(db, id, nowMs);
  if (!row)
    throw new AppError(
      "NOT_FOUND",
      `token ${id} does not exist (see \`training-core token list\`)`,
    );
  return row;
}
