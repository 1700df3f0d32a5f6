/**
 * `training-core conformance --key KEY -- <command>`: runs a plugin against a scripted core and
 * tells, scenario by scenario, whether it keeps the protocol's promises.
 */
import { type Command, Option } from "commander";
import { runConformance, type ScenarioResult, scenarioNames } from "../conformance/runner.js";
import { globalOptions, print } from "../context.js";
import { ExitCode, usageError } from "../errors.js";
import { table } from "../format.js";
import { printJson } from "../json.js";

interface ConformanceFlags {
  readonly key: string;
  readonly scenario?: string[];
  readonly stepTimeout?: string;
}

function report(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => [r.scenario, r.result, r.seen, r.expected, r.rule]);
  const lines = [table(["SCENARIO", "RESULT", "SEEN", "EXPECTED", "RULE"], rows)];
  for (const failed of results.filter((r) => r.result === "FAIL" && r.output)) {
    lines.push("", `${failed.scenario}: the plugin's last lines`, failed.output ?? "");
  }
  const failures = results.filter((r) => r.result === "FAIL").length;
  lines.push(
    "",
    failures === 0
      ? `every scenario passed (${results.length})`
      : `${failures} of ${results.length} scenarios failed`,
  );
  return lines.join("\n");
}

export function registerConformance(program: Command): void {
  program
    .command("conformance")
    .description(
      "run a plugin against a scripted core and check, scenario by scenario, that it keeps the protocol",
    )
    .argument("<command...>", "the command that starts the plugin (after --)")
    .requiredOption("--key <key>", "the plugin key the plugin registers with")
    .addOption(
      new Option("--scenario <name...>", "run only these scenarios").choices(scenarioNames()),
    )
    .option(
      "--step-timeout <seconds>",
      "how long one step (a training, a reconnect) may take",
      "30",
    )
    .addHelpText(
      "after",
      [
        "",
        "The plugin is started once per scenario with CORE_ADDRESS set to the scripted core (and",
        "PLUGIN_TOKEN to --token when given). Exit code 0 when every scenario passed (a skipped one",
        "does not apply to the plugin), 1 otherwise.",
        "",
        "Examples:",
        "  training-core conformance --key plugin-python-next-activity -- examples/python/run.sh",
        "  training-core conformance --json --key my-plugin -- /usr/bin/python3 my_plugin.py",
      ].join("\n"),
    )
    .action(async (command: string[], flags: ConformanceFlags, self: Command) => {
      const { json, token } = globalOptions(self);
      const stepSeconds = Number(flags.stepTimeout);
      if (!Number.isFinite(stepSeconds) || stepSeconds <= 0) {
        throw usageError(
          `--step-timeout must be a positive number of seconds, got ${flags.stepTimeout}`,
        );
      }
      if (command.length === 0)
        throw usageError("give the command that starts the plugin after --");
      const fromCommandLine = self.getOptionValueSourceWithGlobals("token") === "cli";
      const results = await runConformance({
        key: flags.key,
        command,
        ...(fromCommandLine && token ? { token } : {}),
        only: flags.scenario ?? [],
        stepMs: stepSeconds * 1000,
        onResult: (r) => {
          if (!json) process.stderr.write(`${r.result}  ${r.scenario}\n`);
        },
      });
      const passed = results.every((r) => r.result !== "FAIL");
      if (json) printJson({ passed, key: flags.key, command, scenarios: results });
      else print(report(results));
      process.exitCode = passed ? ExitCode.ok : ExitCode.failed;
    });
}
