/**
 * `training-core token create|list|revoke`: access tokens, managed in the database directly
 * (CORE_DATABASE_URL), not through the core: the core reads the table, so a token created or
 * revoked here takes effect in a running core without a restart.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { TokenAdmin, TokenRow } from "../../admin.js";
import { globalOptions, print } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { table } from "../format.js";
import { printJson } from "../json.js";

function parseTokenId(value: string): number {
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError("expected a token id (a positive whole number, see token list)");
  }
  return parsed;
}

/** Opens the database of CORE_DATABASE_URL (migrating it), runs `action`, closes it. */
async function withTokenAdmin<T>(action: (admin: TokenAdmin) => Promise<T>): Promise<T> {
  // Loaded here: the other commands start faster without knex and the drivers.
  const { AppError, ConfigError, databaseUrlOf, openTokenAdmin } = await import("../../admin.js");
  let url: string;
  try {
    url = databaseUrlOf(process.env);
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message);
    throw error;
  }
  let admin: TokenAdmin;
  try {
    admin = await openTokenAdmin(url);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`cannot open the database of CORE_DATABASE_URL: ${reason}`);
  }
  try {
    return await action(admin);
  } catch (error) {
    if (error instanceof AppError) {
      if (error.code === "INVALID_ARGUMENT") throw usageError(error.message);
      throw new CliError(`${error.code}: ${error.message}`);
    }
    throw error;
  } finally {
    await admin.close();
  }
}

const time = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function tokenJson(row: TokenRow) {
  return {
    id: row.id,
    kind: row.kind,
    pluginKey: row.plugin_key ?? "",
    label: row.label,
    createdAt: time(row.created_ms),
    revokedAt: time(row.revoked_ms),
  };
}

function describe(row: TokenRow): string {
  const owner = row.kind === "plugin" ? ` for plugin key "${row.plugin_key}"` : "";
  return `${row.kind} token ${row.id}${owner}${row.label ? ` (${row.label})` : ""}`;
}

export function registerToken(program: Command): void {
  const token = program
    .command("token")
    .description(
      "create, list and revoke access tokens (in the database of CORE_DATABASE_URL; no core needed)",
    );

  token
    .command("create")
    .description("create a plugin or consumer token and print it (shown only this once)")
    .addOption(
      new Option("--plugin <key>", "a plugin token for this plugin key").conflicts("consumer"),
    )
    .addOption(new Option("--consumer", "a consumer token (ProjectService, UploadDataset)"))
    .option("--label <text>", "a note to tell tokens apart in `token list`")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  training-core token create --consumer --label ci",
        "  training-core token create --plugin plugin-knn-next-activity",
        "  token=$(training-core token create --plugin knn --json | jq -r .token)",
      ].join("\n"),
    )
    .action(
      async (
        options: { plugin?: string; consumer?: boolean; label?: string },
        command: Command,
      ) => {
        if (options.plugin === undefined && !options.consumer) {
          throw usageError("say which kind of token: --plugin KEY or --consumer");
        }
        const { json } = globalOptions(command);
        const created = await withTokenAdmin((admin) =>
          admin.create(
            options.consumer
              ? { kind: "consumer", label: options.label }
              : { kind: "plugin", pluginKey: options.plugin, label: options.label },
            Date.now(),
          ),
        );
        if (json) {
          printJson({ id: created.id, token: created.token });
          return;
        }
        print(`created ${describe(created.row)}; it is shown only this once:`);
        print(created.token);
        process.stderr.write(`send it as the metadata "authorization: Bearer <token>"\n`);
      },
    );

  token
    .command("list")
    .description(
      "list every token: id, kind, plugin key, label, created, revoked (never the secret)",
    )
    .action(async (_options: unknown, command: Command) => {
      const { json } = globalOptions(command);
      const rows = await withTokenAdmin((admin) => admin.list());
      if (json) {
        printJson({ tokens: rows.map(tokenJson) });
        return;
      }
      if (rows.length === 0) {
        print(
          "no token exists: the core runs in development mode (loopback only, no authentication)",
        );
        return;
      }
      print(
        table(
          ["ID", "KIND", "PLUGIN KEY", "LABEL", "CREATED", "REVOKED"],
          rows.map((row) => [
            String(row.id),
            row.kind,
            row.plugin_key ?? "",
            row.label,
            time(row.created_ms) ?? "",
            time(row.revoked_ms) ?? "",
          ]),
        ),
      );
    });

  token
    .command("revoke")
    .description("revoke a token: new calls with it are refused and its open streams end")
    .argument("<id>", "the token's id (see token list)", parseTokenId)
    .addHelpText(
      "after",
      "\nA running core notices within CORE_TOKEN_RECHECK_MS (default 5 s).\n\nExample:\n  training-core token revoke 3",
    )
    .action(async (id: number, _options: unknown, command: Command) => {
      const { json } = globalOptions(command);
      const startedMs = Date.now();
      const row = await withTokenAdmin((admin) => admin.revoke(id, startedMs));
      if (json) {
        printJson(tokenJson(row));
        return;
      }
      const earlier = row.revoked_ms !== null && row.revoked_ms < startedMs;
      print(
        earlier
          ? `${describe(row)} was already revoked at ${time(row.revoked_ms)}`
          : `revoked ${describe(row)}; a running core ends its open streams within CORE_TOKEN_RECHECK_MS`,
      );
    });
}
