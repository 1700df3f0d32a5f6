import { createHash } from "node:crypto";
import type {
  DatasetServiceClient,
  UploadDatasetResponse,
} from "../../src/gen/trainingcore/v1/dataset_service.js";

export const sha256Of = (data: Uint8Array): string =>
  createHash("sha256").update(data).digest("hex");

export interface UploadOptions {
  chunkBytes?: number;
  fileName?: string;
  /** Declared size; defaults to the real size. */
  sizeBytes?: number;
  /** Declared sha256; defaults to the real hash. */
  sha256?: string;
}

/** Uploads `data` in chunks through UploadDataset. */
export function upload(
  client: DatasetServiceClient,
  data: Buffer,
  options: UploadOptions = {},
): Promise<UploadDatasetResponse> {
  return new Promise((resolve, reject) => {
    const call = client.uploadDataset((error, response) =>
      error ? reject(error) : resolve(response),
    );
    call.write({
      message: {
        $case: "metadata",
        value: {
          fileName: options.fileName ?? "data.csv",
          sizeBytes: options.sizeBytes ?? data.length,
          sha256: options.sha256 ?? sha256Of(data),
        },
      },
    });
    const chunkBytes = options.chunkBytes ?? 64 * 1024;
    for (let offset = 0; offset < data.length; offset += chunkBytes) {
      call.write({
        message: { $case: "chunk", value: data.subarray(offset, offset + chunkBytes) },
      });
    }
    call.end();
  });
}

/** Downloads a dataset from `offset` on. */
export function download(client: DatasetServiceClient, name: string, offset = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = client.downloadDataset({ trainingDfName: name, offset });
    stream.on("data", (response: { chunk: Buffer }) => chunks.push(response.chunk));
    stream.on("error", reject);
    stream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** A synthetic event log shaped like receipt.csv: ~15 columns, cases of 5–50 events. */
export function* syntheticEventLog(targetBytes: number, seed = 1): Generator<string> {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const header =
    "case:channel,case:concept:name,case:deadline,case:department,case:enddate,case:enddate_planned,case:group,case:responsible,case:startdate,concept:instance,concept:name,lifecycle:transition,org:group,org:resource,time:timestamp\n";
  yield header;
  let bytes = header.length;
  const activities = [
    "Confirmation of receipt",
    "T02 Check confirmation of receipt",
    "T04 Determine confirmation of receipt",
    "T05 Print and send confirmation of receipt",
    "T06 Determine necessity of stop advice",
    "T10 Determine necessity to stop indication",
  ];
  let caseNumber = 0;
  let time = Date.UTC(2011, 9, 1);
  while (bytes < targetBytes) {
    caseNumber++;
    const events = 5 + Math.floor(random() * 46);
    const lines: string[] = [];
    for (let e = 0; e < events; e++) {
      time += Math.floor(random() * 3_600_000);
      const activity = activities[Math.floor(random() * activities.length)];
      lines.push(
        `Internet,case-${caseNumber},2011-12-06 13:41:31.788000+01:00,General,,2011-12-06 13:41:31.788000+01:00,Group 2,Resource${caseNumber % 40},2011-10-11 13:42:22.688000+02:00,task-${caseNumber}-${e},${activity},complete,Group ${e % 5},Resource${e % 30},${new Date(time).toISOString()}\n`,
      );
    }
    const chunk = lines.join("");
    bytes += chunk.length;
    yield chunk;
  }
}
