// What the fuzz tests share: the budget of a run and its seed (FUZZ_SEED reproduces one;
// FUZZ_RUNS and FUZZ_TIME_MS scale a longer session), the plugin keys, and the core's limits.

export const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
export const numRuns = Number(process.env.FUZZ_RUNS ?? 50);
/** Per dialect; the runs stop (without failing) when it is up. FUZZ_TIME_MS for long sessions. */
export const timeLimitMs = Number(process.env.FUZZ_TIME_MS ?? 20_000);
console.log(`[fuzz] seed=${seed} numRuns=${numRuns} (reproduce with FUZZ_SEED=${seed})`);

export const keys = ["fz-a", "fz-b", "fz-c"] as const;
/** The test core's CORE_MAX_DATASET_BYTES: its max gRPC message is this + 1 MiB. */
export const maxDatasetBytes = 64 * 1024;
export const maxReceiveBytes = maxDatasetBytes + 1024 * 1024;
