/** The `datasets` benchmark's side of the core's API, and the core's RSS sampler. */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import type { DatasetServiceClient } from "../../src/gen/trainingcore/v1/dataset_service.js";
import type { EventLogDefinition } from "../../src/gen/trainingcore/v1/definition.js";
import type { Project } from "../../src/gen/trainingcore/v1/project.js";
import type { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import type { GeneratedFile } from "./dataset-files.js";
import type { CoreChild } from "./processes.js";

/** VmRSS of the core every 50 ms; the peak of each phase. */
export class RssSampler {
  private current = "idle";
  private readonly peak = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly core: CoreChild) {
    this.timer = setInterval(() => this.sample(), 50);
  }

  sample(): number {
    const mb = this.core.rssKb() / 1024;
    this.peak.set(this.current, Math.max(this.peak.get(this.current) ?? 0, mb));
    return mb;
  }

  /** Starts a phase (the boundary sample counts for both). */
  phase(name: string): void {
    this.sample();
    this.current = name;
    this.sample();
  }

  peaks() {
    const of = (name: string) => this.peak.get(name) ?? 0;
    const all = Math.max(...this.peak.values());
    return { upload: of("upload"), preprocess: of("preprocess"), download: of("download"), all };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** UploadDataset from the file, `chunkBytes` per message, with the stream's backpressure. */
export function upload(
  client: DatasetServiceClient,
  file: GeneratedFile,
  chunkBytes: number,
  fileName = "events.csv",
) {
  return new Promise<string>((resolve, reject) => {
    const call = client.uploadDataset((error, response) =>
      error ? reject(error) : resolve(response.datasetId),
    );
    call.write({
      message: {
        $case: "metadata",
        value: { fileName, sizeBytes: file.bytes, sha256: file.sha256 },
      },
    });
    (async () => {
      for await (const chunk of createReadStream(file.path, { highWaterMark: chunkBytes })) {
        if (!call.write({ message: { $case: "chunk", value: chunk as Buffer } })) {
          await once(call, "drain");
        }
      }
      call.end();
    })().catch((error: unknown) => {
      call.cancel();
      reject(error);
    });
  });
}

export function createProject(
  client: ProjectServiceClient,
  datasetId: string,
  definition?: EventLogDefinition,
): Promise<Project> {
  return new Promise((resolve, reject) => {
    client.createProject(
      {
        name: "datasets benchmark",
        description: "",
        datasetCsv: Buffer.alloc(0),
        datasetId,
        caseIdColumn: "",
        definition,
        holdoutFraction: 0.2,
        pluginKeys: ["bench-datasets"],
        parameters: {},
        additionalInfo: {},
        requestId: "",
        sourceProjectId: 0,
      },
      (error, response) => {
        if (error) reject(error);
        else if (!response.project) reject(new Error("CreateProject returned no project"));
        else resolve(response.project);
      },
    );
  });
}

function getProject(client: ProjectServiceClient, projectId: number): Promise<Project> {
  return new Promise((resolve, reject) => {
    client.getProject({ projectId }, (error, response) => {
      if (error) reject(error);
      else if (!response.project) reject(new Error("GetProject returned no project"));
      else resolve(response.project);
    });
  });
}

/**
 * Waits until preprocessing is done: the plugin's TrainingData (sent right after the dataset is
 * recorded) or GetProject, polled every 100 ms (which also sees a failure), whichever is first.
 */
export async function preprocessed(
  client: ProjectServiceClient,
  projectId: number,
  trainingData: Promise<number>,
): Promise<{ project: Project; at: number }> {
  let arrived: number | undefined;
  void trainingData.then((at) => {
    arrived = at;
  });
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    await Promise.race([trainingData, new Promise((resolve) => setTimeout(resolve, 100))]);
    const polledAt = performance.now();
    // A TrainingData that arrives while GetProject runs may follow a read made before the
    // dataset was recorded: only one that arrived before the call vouches for this snapshot.
    const arrivedBefore = arrived;
    const project = await getProject(client, projectId);
    if (arrivedBefore !== undefined || project.preprocessing?.done || project.error) {
      return { project, at: arrived ?? polledAt };
    }
  }
  throw new Error("preprocessing did not finish within 30 minutes");
}

/** DownloadDataset from offset 0, counting bytes (nothing kept). */
export function download(client: DatasetServiceClient, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const stream = client.downloadDataset({ trainingDfName: name, offset: 0 });
    stream.on("data", (response: { chunk: Buffer }) => {
      bytes += response.chunk.length;
    });
    stream.on("error", reject);
    stream.on("end", () => resolve(bytes));
  });
}
