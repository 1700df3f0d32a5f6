import type { Knex } from "knex";
import { findPlugins } from "../../store/sql/plugins.js";

/**
 * The plugin keys the store knows (a plugin registered under each once). Rows of `plugins` are
 * never deleted, so a key found once stays known: CreateProject reads only the keys it has not
 * met yet (another replica may have registered them meanwhile), and nothing for the usual ones.
 * Keys found unknown are not remembered.
 */
export class KnownPluginKeys {
  private readonly known = new Set<string>();

  constructor(private readonly db: Knex) {}

  /** Those of `keys` no plugin has registered under. */
  async unknownOf(keys: readonly string[]): Promise<string[]> {
    const unmet = keys.filter((key) => !this.known.has(key));
    if (unmet.length === 0) return [];
    for (const row of await findPlugins(this.db, unmet)) this.known.add(row.key);
    return unmet.filter((key) => !this.known.has(key));
  }
}
