/** Runs scenarios against a plugin command: a fresh scripted core and plugin process for each. */
import { runningCases, runningCasesName, trainingSet, trainingSetName } from "./fixtures.js";
import { PluginProcess } from "./plugin-process.js";
import { type Scenario, ScenarioFailure, Skip } from "./scenario-kit.js";
import { scenarios } from "./scenarios.js";
import { ScriptedCore } from "./scripted-core.js";

export interface ConformanceOptions {
  readonly key: string;
  readonly command: readonly string[];
  /** Sent to the plugin as PLUGIN_TOKEN (and CORE_TOKEN). */
  readonly token?: string;
  /** Only these scenarios (by name); all when empty. */
  readonly only?: readonly string[];
  /** How long one step may take (default 30 s). */
  readonly stepMs?: number;
  /** Called after each scenario (progress). */
  readonly onResult?: (result: ScenarioResult) => void;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly result: "PASS" | "FAIL" | "SKIP";
  readonly seen: string;
  readonly expected: string;
  readonly rule: string;
  /** The plugin's last lines of output, on a failure. */
  readonly output?: string;
}

export function scenarioNames(): string[] {
  return scenarios.map((s) => s.name);
}

export async function runConformance(options: ConformanceOptions): Promise<ScenarioResult[]> {
  const selected = options.only?.length
    ? scenarios.filter((s) => options.only?.includes(s.name))
    : scenarios;
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    const result = await runOne(scenario, options);
    options.onResult?.(result);
    results.push(result);
  }
  return results;
}

async function runOne(scenario: Scenario, options: ConformanceOptions): Promise<ScenarioResult> {
  const core = new ScriptedCore();
  core.datasets.set(trainingSetName, trainingSet());
  core.datasets.set(runningCasesName, runningCases());
  core.token = options.token;
  await core.start();
  const env: Record<string, string> = { CORE_ADDRESS: core.address };
  if (options.token) {
    env.PLUGIN_TOKEN = options.token;
    env.CORE_TOKEN = options.token;
  }
  const plugin = new PluginProcess(options.command, env);
  void plugin.exited.then(() => core.changes.notify()); // waits end when the plugin exits
  const base = { scenario: scenario.name, expected: scenario.expected, rule: scenario.rule };
  try {
    const outcome = await scenario.run({
      core,
      key: options.key,
      plugin,
      stepMs: options.stepMs ?? 30_000,
    });
    if (outcome instanceof Skip) return { ...base, result: "SKIP", seen: outcome.seen };
    return { ...base, result: "PASS", seen: outcome };
  } catch (error) {
    const seen = error instanceof ScenarioFailure ? error.seen : `the kit failed: ${String(error)}`;
    return { ...base, result: "FAIL", seen, output: plugin.output };
  } finally {
    await plugin.stop();
    core.stop();
  }
}
