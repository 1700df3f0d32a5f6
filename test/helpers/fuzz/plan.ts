// From a scenario's commands to the requests sent: sequences, the ids they name, and the code
// the model expects for each.
import { status } from "@grpc/grpc-js";
import type { ConnectRequest } from "../../../src/gen/trainingcore/v1/plugin_service.js";
import type { Model, ModelReport } from "./protocol-model.js";
import type { Command, Target } from "./scenarios.js";
import { keys } from "./settings.js";

/** One request to send, on which stream, with the code the model expects. */
export interface Planned {
  readonly stream: number;
  readonly request: ConnectRequest;
  readonly expectedCode: number;
  readonly what: string;
}

export interface RunContext {
  readonly streamKeys: readonly string[];
  /** Per created project: its id and plugin_id per key. */
  readonly projects: readonly { id: number; pluginIds: Map<string, number> }[];
  readonly unknownProjectId: number;
  readonly model: Model;
}

function resolveTarget(ctx: RunContext, key: string, target: Target) {
  const project = (index: number) =>
    ctx.projects[index % ctx.projects.length] as RunContext["projects"][number];
  /** From the index on, the first project that targets `key` (so "own" mostly exists). */
  const projectOf = (index: number) => {
    for (let i = 0; i < ctx.projects.length; i++) {
      const candidate = project(index + i);
      if (target.plugin.ref !== "own" || candidate.pluginIds.has(key)) return candidate;
    }
    return project(index);
  };
  let projectId: number;
  let home = ctx.projects[0] as RunContext["projects"][number];
  switch (target.project.ref) {
    case "created":
      home = projectOf(target.project.index);
      projectId = home.id;
      break;
    case "unknown":
      projectId = ctx.unknownProjectId;
      break;
    case "literal":
      projectId = target.project.value;
      break;
  }
  const anyOf = (p: RunContext["projects"][number]) => [...p.pluginIds.values()][0] ?? 1;
  let pluginId: number;
  switch (target.plugin.ref) {
    case "own":
      pluginId = home.pluginIds.get(key) ?? anyOf(home);
      break;
    case "other":
      pluginId = [...home.pluginIds].find(([k]) => k !== key)?.[1] ?? anyOf(home);
      break;
    case "elsewhere": {
      const other = project(target.plugin.index);
      pluginId = other.pluginIds.get(key) ?? anyOf(other);
      break;
    }
    case "literal":
      pluginId = target.plugin.value;
      break;
  }
  return { projectId, pluginId };
}

/** The ConnectRequest message carrying a report. */
function messageOf(
  ids: { projectId: number; pluginId: number },
  report: ModelReport,
): ConnectRequest["message"] {
  switch (report.kind) {
    case "data":
      return { $case: "dataReport", value: { ...ids, applicable: report.applicable } };
    case "start":
      return { $case: "trainingStart", value: ids };
    case "model":
      return { $case: "modelName", value: { ...ids, modelName: report.modelName } };
    case "error":
      return { $case: "errorReport", value: { ...ids, detail: report.detail } };
  }
}

function describeReport(ids: { projectId: number; pluginId: number }, report: ModelReport) {
  const at = `${ids.projectId}, ${ids.pluginId}`;
  switch (report.kind) {
    case "data":
      return `DataReport(${at}, ${report.applicable})`;
    case "start":
      return `TrainingStart(${at})`;
    case "model":
      return `ModelName(${at}, ${describeText(report.modelName)})`;
    case "error":
      return `ErrorReport(${at}, ${describeText(report.detail)})`;
  }
}

/** Turns the commands into concrete requests with sequences and expected codes, in order. */
export function plan(ctx: RunContext, commands: readonly Command[]): Planned[] {
  const planned: Planned[] = [];
  const nextSequence = ctx.streamKeys.map(() => 2); // 1 is the registration
  /** Per stream, the reports planned so far (for "again"). */
  const history = ctx.streamKeys.map(
    () => [] as { ids: { projectId: number; pluginId: number }; report: ModelReport }[],
  );
  const push = (
    stream: number,
    sequence: number | null,
    message: ConnectRequest["message"],
    expectedCode: number,
    what: string,
  ) => {
    const seq = sequence ?? (nextSequence[stream] as number);
    nextSequence[stream] = Math.max(nextSequence[stream] as number, seq) + 1;
    if ((nextSequence[stream] as number) > Number.MAX_SAFE_INTEGER) nextSequence[stream] = 2;
    planned.push({ stream, request: { sequence: seq, message }, expectedCode, what });
  };
  const report = (
    stream: number,
    sequence: number | null,
    ids: { projectId: number; pluginId: number },
    r: ModelReport,
    label = "",
  ) => {
    const key = ctx.streamKeys[stream] as string;
    const expected = ctx.model.apply(key, ids.projectId, ids.pluginId, r);
    push(stream, sequence, messageOf(ids, r), expected, `${label}${describeReport(ids, r)}`);
    (history[stream] as (typeof history)[number]).push({ ids, report: r });
  };
  for (const command of commands) {
    const stream = command.stream % ctx.streamKeys.length;
    const key = ctx.streamKeys[stream] as string;
    switch (command.kind) {
      case "online": {
        const id =
          command.who === "own"
            ? key
            : command.who === "other"
              ? (keys.find((k) => k !== key) as string)
              : "not a key!";
        const expected =
          id !== key
            ? status.PERMISSION_DENIED
            : command.name.length > 10_000
              ? status.INVALID_ARGUMENT
              : status.OK;
        push(
          stream,
          command.sequence,
          {
            $case: "onlineReport",
            value: {
              id,
              name: command.name,
              type: "fuzz",
              description: "",
              parameters: { k: 1 },
              neededColumns: [],
              prescribes: false,
            },
          },
          expected,
          `OnlineReport(${JSON.stringify(id)}, name of ${command.name.length} chars)`,
        );
        break;
      }
      case "empty":
        push(stream, command.sequence, undefined, status.INVALID_ARGUMENT, "no report");
        break;
      case "train": {
        const ids = resolveTarget(ctx, key, {
          project: { ref: "created", index: command.index },
          plugin: { ref: "own" },
        });
        const path: ModelReport[] = [
          { kind: "data", applicable: true },
          { kind: "start" },
          { kind: "model", modelName: `${key}-${ids.pluginId}.pkl` },
        ];
        for (const [step, r] of path.slice(0, command.steps).entries()) {
          for (let n = 0; n < (command.times[step] ?? 1); n++)
            report(stream, null, ids, r, "train: ");
        }
        break;
      }
      case "again": {
        const earlier = history[stream] as (typeof history)[number];
        const pick = earlier[earlier.length - 1 - (command.back % Math.max(1, earlier.length))];
        if (pick) report(stream, command.sequence, pick.ids, pick.report, "again: ");
        break;
      }
      case "data":
        report(stream, command.sequence, resolveTarget(ctx, key, command), {
          kind: "data",
          applicable: command.applicable,
        });
        break;
      case "start":
        report(stream, command.sequence, resolveTarget(ctx, key, command), { kind: "start" });
        break;
      case "model":
        report(stream, command.sequence, resolveTarget(ctx, key, command), {
          kind: "model",
          modelName: command.modelName,
        });
        break;
      case "error":
        report(stream, command.sequence, resolveTarget(ctx, key, command), {
          kind: "error",
          detail: command.detail,
        });
        break;
    }
  }
  return planned;
}

function describeText(text: string): string {
  return text.length > 40 ? `<${text.length} chars>` : JSON.stringify(text);
}
