/**
 * `sdk-live`: the plugin SDK's CPU per live prescription request, without the core. This
 * process plays the core: a bare grpc-js `PluginService.Connect` server that registers one SDK
 * plugin (`bench/lib/prescription-plugin-worker.ts`, `runPlugin` with a trivial model, in a
 * process of its own), keeps `--window` case-prefix PrescriptionRequests outstanding (each the
 * shape the core sends: a case of `--events` normalized events, the parameters and the
 * event-log definition), or sends them at `--rate`, and acks every report at once (or
 * `--ack-delay-ms` later, like a core that commits first). Prints the plugin's CPU per request
 * (PrescriptionRequest → PrescriptionResult → Ack), the requests per second, and the CPU of
 * the plugin connected but idle (ms per second). `--bare`: a plugin without the SDK instead.
 */
import { once } from "node:events";
import { Server, ServerCredentials, type ServerDuplexStream } from "@grpc/grpc-js";
import { ColumnDefinition } from "../src/gen/trainingcore/v1/definition.js";
import {
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceService,
  type PrescriptionRequest,
} from "../src/gen/trainingcore/v1/plugin_service.js";
import { parseBenchArgs } from "./lib/args.js";
import { cpuSecondsOf, forkWorker } from "./lib/processes.js";
import { describeMachine, machine, printTable, writeResults } from "./lib/report.js";

const activities = ["register", "check", "review", "approve", "notify", "archive"];

type Stream = ServerDuplexStream<ConnectRequest, ConnectResponse>;

/** The request for the `n`-th case, as `toProtoPrescriptionRequest` builds it. */
function requestFor(n: number, events: number): PrescriptionRequest {
  const caseId = `c${n}`;
  return {
    requestId: `0190c0de-0000-7000-8000-${String(n).padStart(12, "0")}`,
    projectId: 1,
    pluginId: 1,
    modelName: "trivial-1",
    input: {
      $case: "casePrefix",
      value: {
        caseId,
        events: Array.from({ length: events }, (_, e) => ({
          CASE_ID: caseId,
          ACTIVITY: activities[(n + e) % activities.length],
          TIMESTAMP: new Date(Date.UTC(2024, 0, 1) + n * 1000 + e * 60_000).toISOString(),
        })),
      },
    },
    parameters: {},
    additionalInfo: {},
    definition: {
      columns: {
        case: ColumnDefinition.COLUMN_DEFINITION_CASE_ID,
        activity: ColumnDefinition.COLUMN_DEFINITION_ACTIVITY,
        timestamp: ColumnDefinition.COLUMN_DEFINITION_TIMESTAMP,
      },
      caseAttributes: [],
      positiveOutcome: undefined,
      negativeOutcome: undefined,
      treatment: undefined,
    },
  };
}

/** The fake core: acks everything; counts final answers; hands out requests on demand. */
class FakeCore {
  stream: Stream | undefined;
  registered: Promise<void>;
  answered = 0;
  onAnswer: () => void = () => {};
  private resolveRegistered: () => void = () => {};

  constructor(private readonly ackDelayMs: number) {
    this.registered = new Promise((resolve) => {
      this.resolveRegistered = resolve;
    });
  }

  connect(stream: Stream): void {
    this.stream = stream;
    stream.on("data", (request: ConnectRequest) => {
      const { sequence, message } = request;
      const ack = () => {
        stream.write({ message: { $case: "ack", value: { sequence, code: 0, message: "" } } });
        if (message?.$case === "prescriptionResult" && message.value.last) {
          this.answered++;
          this.onAnswer();
        }
      };
      if (message?.$case === "onlineReport") {
        ack();
        this.resolveRegistered();
      } else if (this.ackDelayMs > 0) setTimeout(ack, this.ackDelayMs);
      else ack();
    });
    stream.on("error", () => {});
    stream.on("end", () => stream.end());
  }

  send(request: PrescriptionRequest): void {
    this.stream?.write({ message: { $case: "prescriptionRequest", value: request } });
  }
}

/**
 * `npm run bench -- sdk-live [--seconds S] [--window N] [--rate R] [--ack-delay-ms MS]
 * [--events N,M] [--idle-seconds S] [--bare] [--profile DIR]`
 */
export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const seconds = Number(args.values.seconds ?? 10);
  const window = Number(args.values.window ?? 100);
  const eventCounts = String(args.values.events ?? "1,5,20")
    .split(",")
    .map(Number);
  const idleSeconds = Number(args.values["idle-seconds"] ?? 3);
  const rate = Number(args.values.rate ?? 0);
  /** `--ack-delay-ms`: the core's commit before an Ack (its answers are acked that much later). */
  const ackDelayMs = Number(args.values["ack-delay-ms"] ?? 0);
  console.log(describeMachine(machine()));

  const rows = [];
  for (const events of eventCounts) {
    const core = new FakeCore(ackDelayMs);
    const server = new Server();
    server.addService(PluginServiceService, { connect: (stream: Stream) => core.connect(stream) });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const execArgv = args.profileDir
      ? [
          "--cpu-prof",
          "--cpu-prof-interval=100",
          `--cpu-prof-dir=${args.profileDir}/events-${events}-window-${window}-rate-${rate}`,
        ]
      : [];
    const plugin = forkWorker<{ type: string }>(
      args.values.bare ? "bare-prescription-worker.ts" : "prescription-plugin-worker.ts",
      [],
      execArgv,
    );
    const pid = plugin.child.pid ?? 0;
    try {
      plugin.send({ type: "run", address: `127.0.0.1:${port}`, key: "sdk-live", quiet: true });
      await core.registered;
      // Idle: registered, nothing to do (after the start-up settled).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const idleStart = cpuSecondsOf(pid);
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
      const idleMsPerSecond = ((cpuSecondsOf(pid) - idleStart) * 1000) / idleSeconds;

      // Load: `window` requests outstanding, each answer bringing the next one; or with
      // `--rate`, one request every 1/rate s (a core posting events slowly). A warm-up first.
      let n = 0;
      let pacer: NodeJS.Timeout | undefined;
      if (rate > 0) {
        const started = performance.now();
        const tick = () => {
          const due = Math.floor(((performance.now() - started) * rate) / 1000);
          while (n < due && n - core.answered < window) core.send(requestFor(n++, events));
          const next = started + ((n + 1) * 1000) / rate - performance.now();
          pacer = setTimeout(tick, Math.max(1, next));
        };
        tick();
      } else {
        core.onAnswer = () => core.send(requestFor(n++, events));
        for (let i = 0; i < window; i++) core.send(requestFor(n++, events));
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const answeredAtStart = core.answered;
      const cpuAtStart = cpuSecondsOf(pid);
      const harnessAtStart = process.cpuUsage();
      const startedAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const elapsed = (performance.now() - startedAt) / 1000;
      const answered = core.answered - answeredAtStart;
      const cpu = cpuSecondsOf(pid) - cpuAtStart;
      const harness = process.cpuUsage(harnessAtStart);
      core.onAnswer = () => {};
      clearTimeout(pacer);
      rows.push({
        plugin: args.values.bare ? "bare" : "SDK",
        rate: rate > 0 ? rate : "-",
        "events per case": events,
        window,
        "ack delay ms": ackDelayMs,
        requests: answered,
        "requests/s": answered / elapsed,
        "plugin CPU ms/request": (cpu * 1000) / answered,
        "bench CPU ms/request": (harness.user + harness.system) / 1000 / answered,
        "idle plugin CPU ms/s": idleMsPerSecond,
      });
      plugin.send({ type: "stop" });
      await Promise.race([
        once(plugin.child, "exit"),
        new Promise((resolve) => setTimeout(resolve, 5000)),
      ]);
    } finally {
      plugin.kill();
      server.forceShutdown();
    }
  }
  printTable("one plugin, live prescription requests, against a fake core", rows);
  writeResults("sdk-live", { rows });
}
