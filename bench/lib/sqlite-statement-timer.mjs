/**
 * Preload for the core (`--import`, via `--sql-times FILE` of the `streaming` benchmark): times
 * every better-sqlite3 statement by its SQL text and writes the totals (ms, calls, rows) to
 * `BENCH_SQL_TIMES` when the process exits. Bench-only; the core is not changed.
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(`${process.cwd()}/package.json`);
const Database = require("better-sqlite3");
const totals = new Map();
const probe = new Database(":memory:");
const Statement = Object.getPrototypeOf(probe.prepare("SELECT 1"));
probe.close();
for (const method of ["run", "all", "get"]) {
  const original = Statement[method];
  Statement[method] = function timed(...args) {
    const started = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const sql = this.source.replace(/\s+/g, " ").slice(0, 400);
      const entry = totals.get(sql) ?? { ms: 0, calls: 0 };
      entry.ms += ms;
      entry.calls++;
      totals.set(sql, entry);
    }
  };
}
process.on("exit", () => {
  const file = process.env.BENCH_SQL_TIMES;
  if (!file) return;
  const rows = [...totals].map(([sql, t]) => ({ sql, ...t })).sort((a, b) => b.ms - a.ms);
  writeFileSync(file, JSON.stringify(rows, null, 1));
});
