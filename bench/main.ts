/**
 * `npm run bench -- <benchmark> [options]`: runs one benchmark (see bench/README.md). Each
 * benchmark is a module with `run(argv)`, loaded only when asked for.
 */
type Benchmark = { run(argv: readonly string[]): Promise<void> };

const benchmarks: Record<string, () => Promise<Benchmark>> = {
  datasets: () => import("./datasets.js"),
  lifecycle: () => import("./lifecycle.js"),
  echo: () => import("./echo.js"),
  latency: () => import("./latency.js"),
  "idle-streams": () => import("./idle-streams.js"),
  "scale-out": () => import("./scale-out.js"),
  "preprocess-throughput": () => import("./preprocess-throughput.js"),
  "xes-throughput": () => import("./xes-throughput.js"),
  "normalize-throughput": () => import("./normalize-throughput.js"),
  prescriptions: () => import("./prescriptions.js"),
  streaming: () => import("./streaming.js"),
  "sdk-live": () => import("./sdk-live.js"),
};

const [name, ...argv] = process.argv.slice(2);
const load = name === undefined ? undefined : benchmarks[name];
if (load === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join("|")}> [options]`);
  process.exit(2);
}
try {
  await (await load()).run(argv);
  process.exit(0); // open clients or timers must not keep a finished benchmark alive
} catch (error) {
  console.error(error);
  process.exit(1);
}
