/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`), aggregated by function and
 * file: `node --import tsx bench/lib/profile-top.ts <file.cpuprofile> [count]`.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function topFunctions(path: string, count = 25) {
  const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/dist\//, "dist/");
    const name = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    selfMicros.set(name, (selfMicros.get(name) ?? 0) + delta);
  });
  return [...selfMicros.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ function: name, "self %": (100 * micros) / total }));
}

/** Self time by package (node_modules/<name>) or our dist/ tree. */
export function byPackage(path: string) {
  const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const sums = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const url = byId.get(id)?.callFrame.url ?? "";
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const key = match
      ? match[1]
      : url.includes("/dist/")
        ? "training-core (dist)"
        : url.startsWith("node:")
          ? "node internals"
          : url === ""
            ? `(${byId.get(id)?.callFrame.functionName || "native"})`
            : url;
    sums.set(key as string, (sums.get(key as string) ?? 0) + delta);
  });
  return [...sums.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([pkg, micros]) => ({ package: pkg, "self %": (100 * micros) / total }));
}

if (process.argv[1]?.endsWith("profile-top.ts")) {
  const [path, count] = process.argv.slice(2);
  if (!path) throw new Error("usage: profile-top.ts <file.cpuprofile> [count]");
  console.table(byPackage(path));
  console.table(topFunctions(path, Number(count ?? 25)));
}
