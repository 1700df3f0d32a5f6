/**
 * The import rules of the house (docs: the architecture page). Each rule names the direction it
 * protects, so a failing `npm run lint:imports` says what to move rather than what to ignore.
 * Paths are relative to the directory the cruise runs from (the repository root).
 */

/** Top-level files of src/ (main, config, core, the public modules): they wire the layers. */
const compositionRoot = "^src/[^/]+$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "domain-imports-nothing-of-ours",
      comment: "domain is pure: statuses, rules and the error type; every layer may import it.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^src/", pathNot: "^src/domain/" },
    },
    {
      name: "store-imports-only-store-and-domain",
      comment: "store is SQL and files; it knows no feature, no transport and no generated code.",
      severity: "error",
      from: { path: "^src/store/" },
      to: { path: "^src/", pathNot: "^src/(store|domain)/" },
    },
    {
      name: "app-never-imports-transport-or-clients",
      comment:
        "app is the features; the wire (transport, gen) and the clients (cli, sdk) sit above it.",
      severity: "error",
      from: { path: "^src/app/" },
      to: { path: "^src/(transport|gen|cli|sdk)/" },
    },
    {
      name: "only-transport-sdk-cli-import-gen",
      comment: "Generated protocol code stays at the edge: map to domain types in transport.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/(transport|sdk|cli|gen)/", compositionRoot] },
      to: { path: "^src/gen/" },
    },
    {
      name: "sdk-is-a-client",
      comment: "The plugin SDK talks to the core over gRPC only, so it ships without the core.",
      severity: "error",
      from: { path: "^src/sdk/" },
      to: { path: "^src/", pathNot: "^src/(sdk|gen)/" },
    },
    {
      name: "cli-uses-public-modules-only",
      comment:
        "The CLI is a client of the API; its local duties (tokens, health check, serve) go through src/admin.ts.",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/", pathNot: ["^src/(cli|gen|sdk)/", "^src/admin\\.ts$"] },
    },
    {
      name: "no-cycles",
      comment: "A cycle makes two modules one; move the shared type down a layer instead.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: a type is as much a dependency as a value.
    tsPreCompilationDeps: true,
    // Resolve packages through their `exports` (e.g. "@bufbuild/protobuf/wire"), as Node does.
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    skipAnalysisNotInRules: true,
  },
};
