// The authorization matrix: every RPC × every kind of credentials, against a core that has
// tokens (so it enforces them), on each database. One project is trained by plugin "knn" first,
// so that the calls that are allowed have something real to work on.
import {
  type ClientDuplexStream,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createToken, revokeTokenById } from "../../src/app/auth/token-admin.js";
import { DatasetServiceClient } from "../../src/gen/trainingcore/v1/dataset_service.js";
import { ColumnDefinition } from "../../src/gen/trainingcore/v1/definition.js";
import { ModelServiceClient } from "../../src/gen/trainingcore/v1/model_service.js";
import {
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceClient,
  type TrainingData,
} from "../../src/gen/trainingcore/v1/plugin_service.js";
import {
  type PrescribeDatasetResponse,
  PrescriptionServiceClient,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { openStore } from "../../src/store/connect.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { uploadModel } from "../helpers/models.js";
import { createProject, createProjectRequest, tinyCsv, watchToEnd } from "../helpers/projects.js";

const model = Buffer.from("the knn model");

type Column =
  | "no token"
  | "bad token"
  | "revoked token"
  | "plugin token"
  | "consumer token"
  | "other plugin's token";
type Rpc =
  | "Connect"
  | "DownloadDataset"
  | "UploadDataset"
  | "InspectDataset"
  | "CreateProject"
  | "GetProject"
  | "ListProjects"
  | "WatchProject"
  | "ListPlugins"
  | "DeleteProject"
  | "UpdateProject"
  | "SetPluginServing"
  | "PrescribeDataset"
  | "GetPrescriptionJob"
  | "WatchPrescriptionJob"
  | "ListPrescriptions"
  | "DeletePrescriptionJob"
  | "ListPrescriptionJobs"
  | "PostEvents"
  | "WatchPrescriptions"
  | "SimulateProject"
  | "ClearEvents"
  | "UploadModel"
  | "DownloadModel";
type Expected = readonly [code: status, details?: RegExp];

const missing: Expected = [status.UNAUTHENTICATED, /needs an access token.*authorization: Bearer/];
const unknown: Expected = [status.UNAUTHENTICATED, /not known to this core/];
const revoked: Expected = [status.UNAUTHENTICATED, /token \d+ was revoked at/];
const ok: Expected = [status.OK];
const needsPlugin: Expected = [status.PERMISSION_DENIED, /needs a plugin token; .*consumer token/];
const needsConsumer: Expected = [
  status.PERMISSION_DENIED,
  /needs a consumer token; .*plugin token/,
];

const otherKeysModel: Expected = [
  status.PERMISSION_DENIED,
  /belongs to plugin "knn".*plugin key "lstm"/,
];
const pluginRpc: Record<Column, Expected> = {
  "no token": missing,
  "bad token": unknown,
  "revoked token": revoked,
  "plugin token": ok,
  "consumer token": needsPlugin,
  "other plugin's token": [status.PERMISSION_DENIED, /"lstm"/],
};
const consumerRpc: Record<Column, Expected> = {
  "no token": missing,
  "bad token": unknown,
  "revoked token": revoked,
  "plugin token": needsConsumer,
  "consumer token": ok,
  "other plugin's token": needsConsumer,
};
const matrix: Record<Rpc, Record<Column, Expected>> = {
  Connect: {
    ...pluginRpc,
    "other plugin's token": [
      status.PERMISSION_DENIED,
      /OnlineReport.id is "knn".*plugin key "lstm"/,
    ],
  },
  DownloadDataset: {
    ...pluginRpc,
    "other plugin's token": [
      status.PERMISSION_DENIED,
      /may download only the datasets of projects/,
    ],
  },
  UploadDataset: consumerRpc,
  InspectDataset: consumerRpc,
  CreateProject: consumerRpc,
  GetProject: consumerRpc,
  ListProjects: consumerRpc,
  WatchProject: consumerRpc,
  ListPlugins: consumerRpc,
  DeleteProject: consumerRpc,
  UpdateProject: consumerRpc,
  SetPluginServing: consumerRpc,
  PrescribeDataset: consumerRpc,
  GetPrescriptionJob: consumerRpc,
  WatchPrescriptionJob: consumerRpc,
  ListPrescriptions: consumerRpc,
  DeletePrescriptionJob: consumerRpc,
  ListPrescriptionJobs: consumerRpc,
  // No events: nothing stored, OK.
  PostEvents: consumerRpc,
  // A project that does not exist: the stream never ends by itself for one that does.
  WatchPrescriptions: {
    ...consumerRpc,
    "consumer token": [status.NOT_FOUND, /project 999999 does not exist/],
  },
  // A project that does not exist (a real replay waits for the plugins' answers).
  SimulateProject: {
    ...consumerRpc,
    "consumer token": [status.NOT_FOUND, /project 999999 does not exist/],
  },
  ClearEvents: consumerRpc,
  // An exact repeat of the stored model: accepted, changing nothing.
  UploadModel: { ...pluginRpc, "other plugin's token": otherKeysModel },
  DownloadModel: {
    ...pluginRpc,
    "consumer token": ok,
    "other plugin's token": otherKeysModel,
  },
};
const cases = Object.entries(matrix).flatMap(([rpc, row]) =>
  Object.entries(row).map(([column, expected]) => ({
    rpc: rpc as Rpc,
    column: column as Column,
    want: status[expected[0]],
    expected,
  })),
);

interface Outcome {
  code: status;
  details: string;
}

function bearer(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

const okOutcome: Outcome = { code: status.OK, details: "" };
const failed = (error: ServiceError | null): Outcome =>
  error ? { code: error.code, details: error.details } : okOutcome;

/** Waits for a stream's final status, reading (and dropping) what it sends. */
function streamOutcome(stream: NodeJS.EventEmitter): Promise<Outcome> {
  return new Promise((resolve) => {
    stream.on("data", () => {});
    stream.on("error", (error: ServiceError) => resolve(failed(error)));
    stream.on("status", (s: { code: status; details: string }) =>
      resolve({ code: s.code, details: s.code === status.OK ? "" : s.details }),
    );
  });
}

/** Connect: OK once the OnlineReport is acked with code 0; otherwise how the stream ended. */
function connectOutcome(
  plugins: PluginServiceClient,
  metadata: Metadata,
  key: string,
): Promise<Outcome> {
  const stream = plugins.connect(metadata);
  return new Promise<Outcome>((resolve) => {
    stream.on("data", (response: ConnectResponse) => {
      if (response.message?.$case !== "ack") return;
      const { code, message } = response.message.value;
      resolve({ code, details: message });
    });
    stream.on("error", (error: ServiceError) => resolve(failed(error)));
    stream.write({ sequence: 1, message: { $case: "onlineReport", value: identity(key) } });
  }).finally(() => stream.cancel());
}

function identity(key: string) {
  return {
    id: key,
    name: key,
    type: "test",
    description: "",
    parameters: {},
    neededColumns: [],
    prescribes: true,
  };
}

/** A plugin holding its stream open with a token, acks matched by sequence. */
class TokenPlugin {
  readonly stream: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  private sequence = 0;
  private readonly acks = new Map<number, (code: number) => void>();
  private readonly waiting: ((data: TrainingData) => void)[] = [];

  constructor(plugins: PluginServiceClient, token: string) {
    this.stream = plugins.connect(bearer(token));
    this.stream.on("error", () => {});
    this.stream.on("data", (response: ConnectResponse) => {
      const message = response.message;
      if (message?.$case === "ack") this.acks.get(message.value.sequence)?.(message.value.code);
      if (message?.$case === "trainingData") this.waiting.shift()?.(message.value);
    });
  }

  send(message: ConnectRequest["message"]): Promise<number> {
    const sequence = ++this.sequence;
    return new Promise((resolve) => {
      this.acks.set(sequence, resolve);
      this.stream.write({ sequence, message });
    });
  }

  nextTrainingData(): Promise<TrainingData> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Trains, storing the model in the core (with the same token) before reporting its name. */
  async train(td: TrainingData, models: ModelServiceClient, token: string): Promise<void> {
    const ids = { projectId: td.projectId, pluginId: td.pluginId };
    const codes = [
      await this.send({ $case: "dataReport", value: { ...ids, applicable: true } }),
      await this.send({ $case: "trainingStart", value: ids }),
    ];
    await uploadModel(models, ids, "m.pkl", model, { metadata: bearer(token) });
    codes.push(await this.send({ $case: "modelName", value: { ...ids, modelName: "m.pkl" } }));
    expect(codes).toEqual([0, 0, 0]);
  }
}

describeEachDialect("authorization matrix", (dialect) => {
  let database: TestDatabase;
  let core: TestCore;
  let plugins: PluginServiceClient;
  let projects: ProjectServiceClient;
  let datasets: DatasetServiceClient;
  let prescriptions: PrescriptionServiceClient;
  let models: ModelServiceClient;
  let knn: TokenPlugin;
  const tokens = {} as Record<
    "consumer" | "knn" | "lstm" | "revokedConsumer" | "revokedKnn",
    string
  >;
  let projectId = 0;
  let trainingDfName = "";
  /** A TRAINED project with a definition, and its job (ERROR: a timestamp it cannot read). */
  let eventLogProjectId = 0;
  let jobId = "";
  let pluginId = 0;

  beforeAll(async () => {
    database = await createTestDatabaseUrl(dialect);
    const store = await openStore(database.url);
    try {
      const now = Date.now();
      tokens.consumer = (await createToken(store.db, { kind: "consumer" }, now)).token;
      tokens.knn = (await createToken(store.db, { kind: "plugin", pluginKey: "knn" }, now)).token;
      tokens.lstm = (await createToken(store.db, { kind: "plugin", pluginKey: "lstm" }, now)).token;
      for (const [name, request] of [
        ["revokedConsumer", { kind: "consumer" }],
        ["revokedKnn", { kind: "plugin", pluginKey: "knn" }],
      ] as const) {
        const created = await createToken(store.db, request, now);
        await revokeTokenById(store.db, created.id, now);
        tokens[name] = created.token;
      }
    } finally {
      await store.close();
    }
    core = await startTestCore(database.url, { token: tokens.consumer });
    const insecure = credentials.createInsecure();
    plugins = new PluginServiceClient(core.address, insecure);
    projects = new ProjectServiceClient(core.address, insecure);
    datasets = new DatasetServiceClient(core.address, insecure);
    prescriptions = new PrescriptionServiceClient(core.address, insecure);
    models = new ModelServiceClient(core.address, insecure);
    knn = new TokenPlugin(plugins, tokens.knn);
    expect(await knn.send({ $case: "onlineReport", value: identity("knn") })).toBe(0);
    const delivered = knn.nextTrainingData();
    const project = await createProject(core.projects, { pluginKeys: ["knn"] });
    const td = await delivered;
    await knn.train(td, models, tokens.knn);
    await watchToEnd(core.projects, project.id);
    projectId = project.id;
    trainingDfName = td.trainingDfName;

    const eventLogTd = knn.nextTrainingData();
    const eventLog = await createProject(core.projects, {
      pluginKeys: ["knn"],
      definition: {
        columns: { time: ColumnDefinition.COLUMN_DEFINITION_TIMESTAMP },
        caseAttributes: [],
        positiveOutcome: undefined,
        negativeOutcome: undefined,
        treatment: undefined,
      },
    });
    await knn.train(await eventLogTd, models, tokens.knn);
    await watchToEnd(core.projects, eventLog.id);
    eventLogProjectId = eventLog.id;
    const created = await new Promise<PrescribeDatasetResponse>((resolve, reject) =>
      prescriptions.prescribeDataset(
        {
          projectId: eventLogProjectId,
          datasetCsv: Buffer.from(`${tinyCsv}c4,a,not a time\n`),
          datasetId: "",
          requestId: "",
        },
        bearer(tokens.consumer),
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
    jobId = created.job?.jobId ?? "";
    await streamOutcome(prescriptions.watchPrescriptionJob({ jobId }, bearer(tokens.consumer)));
    pluginId = td.pluginId;
  });

  afterAll(async () => {
    knn?.stream.cancel();
    for (const client of [plugins, projects, datasets, prescriptions, models]) client?.close();
    await core?.stop();
    await database?.drop();
  });

  function tokenFor(rpc: Rpc, column: Column): string | undefined {
    const pluginCall = ["Connect", "DownloadDataset", "UploadModel", "DownloadModel"].includes(rpc);
    switch (column) {
      case "no token":
        return undefined;
      case "bad token":
        return `tcc_${"A".repeat(43)}`;
      case "revoked token":
        return pluginCall ? tokens.revokedKnn : tokens.revokedConsumer;
      case "plugin token":
        return tokens.knn;
      case "consumer token":
        return tokens.consumer;
      case "other plugin's token":
        return tokens.lstm;
    }
  }

  function call(rpc: Rpc, metadata: Metadata): Promise<Outcome> {
    const unary = (invoke: (done: (error: ServiceError | null) => void) => void) =>
      new Promise<Outcome>((resolve) => invoke((error) => resolve(failed(error))));
    switch (rpc) {
      case "Connect":
        return connectOutcome(plugins, metadata, "knn");
      case "DownloadDataset":
        return streamOutcome(datasets.downloadDataset({ trainingDfName, offset: 0 }, metadata));
      case "UploadDataset":
        return unary((done) => {
          const upload = datasets.uploadDataset(metadata, done);
          upload.on("error", () => {});
          upload.write({
            message: { $case: "metadata", value: { fileName: "a.csv", sizeBytes: 0, sha256: "" } },
          });
          upload.write({ message: { $case: "chunk", value: Buffer.from(tinyCsv) } });
          upload.end();
        });
      case "InspectDataset":
        return unary((done) =>
          datasets.inspectDataset({ datasetId: "", dataset: Buffer.from(tinyCsv) }, metadata, done),
        );
      case "CreateProject":
        return unary((done) =>
          projects.createProject(createProjectRequest({ pluginKeys: ["knn"] }), metadata, done),
        );
      case "GetProject":
        return unary((done) => projects.getProject({ projectId }, metadata, done));
      case "ListProjects":
        return unary((done) =>
          projects.listProjects({ pageSize: 5, pageToken: "" }, metadata, done),
        );
      case "WatchProject":
        return streamOutcome(projects.watchProject({ projectId, afterEventId: 0 }, metadata));
      case "ListPlugins":
        return unary((done) => projects.listPlugins({}, metadata, done));
      case "DeleteProject":
        // A project that does not exist: deleting it is OK, and leaves the others to the rest.
        return unary((done) => projects.deleteProject({ projectId: 999_999 }, metadata, done));
      case "UpdateProject":
        return unary((done) =>
          projects.updateProject(
            { projectId, name: "", description: "renamed", updateMask: ["description"] },
            metadata,
            done,
          ),
        );
      case "SetPluginServing":
        // It serves already: setting it again changes nothing.
        return unary((done) =>
          projects.setPluginServing({ projectId, pluginId, serving: true }, metadata, done),
        );
      case "PrescribeDataset":
        return unary((done) =>
          prescriptions.prescribeDataset(
            {
              projectId: eventLogProjectId,
              datasetCsv: Buffer.from(tinyCsv),
              datasetId: "",
              requestId: "",
            },
            metadata,
            done,
          ),
        );
      case "GetPrescriptionJob":
        return unary((done) => prescriptions.getPrescriptionJob({ jobId }, metadata, done));
      case "WatchPrescriptionJob":
        // The job is ERROR already: the watch sends it and ends OK.
        return streamOutcome(prescriptions.watchPrescriptionJob({ jobId }, metadata));
      case "ListPrescriptions":
        return unary((done) =>
          prescriptions.listPrescriptions({ jobId, pageSize: 0, pageToken: "" }, metadata, done),
        );
      case "DeletePrescriptionJob":
        // A job that does not exist: deleting it is OK, and leaves `jobId` to the others.
        return unary((done) =>
          prescriptions.deletePrescriptionJob({ jobId: "job_none" }, metadata, done),
        );
      case "ListPrescriptionJobs":
        return unary((done) =>
          prescriptions.listPrescriptionJobs(
            { projectId: eventLogProjectId, pageSize: 0, pageToken: "" },
            metadata,
            done,
          ),
        );
      case "PostEvents":
        return unary((done) =>
          prescriptions.postEvents(
            { projectId: eventLogProjectId, events: [], requestId: "" },
            metadata,
            done,
          ),
        );
      case "WatchPrescriptions":
        return streamOutcome(
          prescriptions.watchPrescriptions({ projectId: 999_999, afterEventId: 0 }, metadata),
        );
      case "SimulateProject":
        return streamOutcome(
          prescriptions.simulateProject(
            { projectId: 999_999, eventsPerSecond: 0, maxEvents: 1 },
            metadata,
          ),
        );
      case "ClearEvents":
        return unary((done) =>
          prescriptions.clearEvents({ projectId: eventLogProjectId }, metadata, done),
        );
      case "UploadModel":
        return uploadModel(models, { projectId, pluginId }, "m.pkl", model, { metadata }).then(
          () => okOutcome,
          (error: ServiceError) => failed(error),
        );
      case "DownloadModel":
        return streamOutcome(models.downloadModel({ projectId, pluginId, offset: 0 }, metadata));
    }
  }

  it.each(cases)("$rpc with $column → $want", async ({ rpc, column, expected }) => {
    const [code, details] = expected;
    const outcome = await call(rpc, bearer(tokenFor(rpc, column)));
    expect({ code: status[outcome.code], details: outcome.details }).toEqual({
      code: status[code],
      details: details ? expect.stringMatching(details) : "",
    });
  });
});
