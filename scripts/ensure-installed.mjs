#!/usr/bin/env node
// Runs before `npm start` and `npm test` (prestart, pretest) so that a fresh clone needs no other
// command: `npm ci` when node_modules is missing or does not match package-lock.json, then a build
// when src/ changed since the last one. Plain Node with no dependencies: on a fresh clone there
// is nothing installed yet.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Where npm ci records what it installed (the "hidden lockfile"). */
const installedLock = join("node_modules", ".package-lock.json");
/** Written after each build this script runs; tsc leaves its own files alone when nothing changed. */
export const buildStamp = join("dist", ".build-stamp");

/** What makes two lockfile entries the same installed package. */
const identity = ["version", "resolved", "integrity", "link"];
/** The dependency lists package.json and the lockfile's root entry must agree on. */
const dependencyLists = [
  "dependencies",
  "devDependencies",
  "optionalDependencies",
  "peerDependencies",
];

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const same = (a, b) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

/**
 * Why `npm ci` must run in `root`, or null when node_modules matches package-lock.json.
 * Compares contents, not times, so a fresh checkout, a `git pull` or an install by other means
 * (CI's own `npm ci`, `npm install`) are judged by what is actually installed.
 */
export function installStaleness(root) {
  if (!existsSync(join(root, "node_modules"))) return "node_modules is missing";
  const lockPath = join(root, installedLock);
  if (!existsSync(lockPath)) return "node_modules was not installed by npm";
  const wanted = readJson(join(root, "package-lock.json"));
  const manifest = readJson(join(root, "package.json"));
  const rootEntry = wanted.packages?.[""] ?? {};
  for (const list of dependencyLists) {
    if (!same(manifest[list], rootEntry[list])) {
      return `package.json's ${list} differ from package-lock.json`;
    }
  }
  const installed = readJson(lockPath).packages ?? {};
  for (const [path, entry] of Object.entries(wanted.packages ?? {})) {
    if (path === "") continue;
    const present = installed[path];
    // npm skips optional packages built for other platforms; their parents still pin them.
    if (present === undefined) {
      if (entry.optional) continue;
      return `${path} is not installed`;
    }
    const field = identity.find((name) => entry[name] !== present[name]);
    if (field !== undefined) return `${path} differs from package-lock.json (${field})`;
  }
  const extra = Object.keys(installed).find((path) => !(path in (wanted.packages ?? {})));
  if (extra !== undefined) return `${extra} is installed but not in package-lock.json`;
  return null;
}

/** The newest modification time (ms) of `path`, or of any file or folder under it. */
function newestMtime(path) {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  // A folder's own time moves when an entry is added, removed or renamed.
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) {
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Everything a build reads besides the compiler itself. */
const buildInputs = ["src", "package.json", "tsconfig.json", "tsconfig.build.json", installedLock];

/** Why `npm run build` must run in `root`, or null when the last build is newer than its inputs. */
export function buildStaleness(root) {
  const stamp = statSync(join(root, buildStamp), { throwIfNoEntry: false });
  if (stamp === undefined) return "no build by this script yet";
  const changed = buildInputs.find((input) => newestMtime(join(root, input)) > stamp.mtimeMs);
  return changed === undefined ? null : `${changed} changed since the last build`;
}

function npm(root, args) {
  // Inside an npm script, npm_execpath is the npm that runs us: use the same one.
  const execPath = process.env.npm_execpath;
  const [command, commandArgs] = execPath ? [process.execPath, [execPath, ...args]] : ["npm", args];
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    process.stderr.write(`npm ${args.join(" ")} failed\n`);
    process.exit(result.status ?? 1);
  }
}

export function ensureInstalledAndBuilt(root) {
  const install = installStaleness(root);
  if (install !== null) {
    process.stderr.write(`${install}: running npm ci\n`);
    npm(root, ["ci"]);
  }
  const build = buildStaleness(root);
  if (build !== null) {
    process.stderr.write(`${build}: building\n`);
    // Dated when the build started, so an edit made while tsc runs still counts as a change.
    const started = new Date();
    npm(root, ["run", "build"]);
    const stamp = join(root, buildStamp);
    mkdirSync(join(root, "dist"), { recursive: true });
    writeFileSync(stamp, `${started.toISOString()}\n`);
    utimesSync(stamp, started, started);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  ensureInstalledAndBuilt(fileURLToPath(new URL("..", import.meta.url)));
}
