import type { Knex } from "knex";
import type { PluginRow } from "../rows.js";

export interface PluginIdentity {
  key: string;
  name: string;
  type: string;
  description: string;
  parameters: Record<string, unknown>;
  /** The ColumnDefinitions (`OUTCOME`, …) the plugin needs in a training set; none if absent. */
  neededColumns?: readonly string[];
  /** The key answers prescription requests (OnlineReport.prescribes); false if absent. */
  prescribes?: boolean;
}

export async function upsertPlugin(db: Knex, plugin: PluginIdentity, nowMs: number): Promise<void> {
  await db<PluginRow>("plugins")
    .insert({
      key: plugin.key,
      name: plugin.name,
      type: plugin.type,
      description: plugin.description,
      parameters_json: JSON.stringify(plugin.parameters),
      needed_columns_json: JSON.stringify(plugin.neededColumns ?? []),
      prescribes: plugin.prescribes ?? false,
      first_seen_ms: nowMs,
      last_seen_ms: nowMs,
    })
    .onConflict("key")
    .merge([
      "name",
      "type",
      "description",
      "parameters_json",
      "needed_columns_json",
      "prescribes",
      "last_seen_ms",
    ]);
}

export async function listPlugins(db: Knex): Promise<PluginRow[]> {
  return db<PluginRow>("plugins").select("*").orderBy("key");
}

export async function findPlugins(db: Knex, keys: readonly string[]): Promise<PluginRow[]> {
  if (keys.length === 0) return [];
  return db<PluginRow>("plugins").select("*").whereIn("key", keys);
}
