// Types for ensure-installed.mjs, which stays plain JavaScript: it runs before anything is installed.

/** The build stamp's path, relative to the repository root. */
export const buildStamp: string;
/** Why `npm ci` must run in `root`, or null when node_modules matches package-lock.json. */
export function installStaleness(root: string): string | null;
/** Why `npm run build` must run in `root`, or null when the last build is newer than its inputs. */
export function buildStaleness(root: string): string | null;
export function ensureInstalledAndBuilt(root: string): void;
