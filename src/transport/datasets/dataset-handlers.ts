import type { Http2Session } from "node:http2";
import type {
  ServerReadableStream,
  ServerWritableStream,
  sendUnaryData,
  UntypedHandleCall,
} from "@grpc/grpc-js";
import type { Knex } from "knex";
import { checkDownloadAllowed } from "../../app/auth/download-access.js";
import { openDatasetDownload } from "../../app/datasets/download-dataset.js";
import { uploadDataset } from "../../app/datasets/upload-dataset.js";
import { AppError } from "../../domain/errors.js";
import type {
  DatasetServiceServer,
  DownloadDatasetRequest,
  DownloadDatasetResponse,
  UploadDatasetRequest,
  UploadDatasetResponse,
} from "../../gen/trainingcore/v1/dataset_service.js";
import type { Logger } from "../../logger.js";
import { DeadBufferCollector } from "../../store/blobs/dead-buffer-collector.js";
import { principalOf } from "../auth/authenticated-services.js";
import { endCall, toGrpcStatus, toServiceError } from "../grpc-errors.js";
import { StreamWriter } from "../stream-writer.js";
import { inspectDatasetHandler } from "./inspect-dataset-handler.js";

export interface DatasetHandlerDeps {
  readonly db: Knex;
  readonly logger: Logger;
  readonly maxUploadBytes: number;
  /** This replica's id: written on files being uploaded (see deleteOrphanedBlobs). */
  readonly replicaId: string;
  /** CORE_MAX_DATASET_BYTES: the limit of a dataset sent inline. */
  readonly maxDatasetBytes: number;
}

export function createDatasetHandlers(
  deps: DatasetHandlerDeps,
): DatasetServiceServer & Record<string, UntypedHandleCall> {
  return {
    uploadDataset: (
      call: ServerReadableStream<UploadDatasetRequest, UploadDatasetResponse>,
      callback: sendUnaryData<UploadDatasetResponse>,
    ) => {
      upload(call, deps).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error, deps.logger)),
      );
    },
    downloadDataset: (
      call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
    ) => {
      void download(call, deps);
    },
    inspectDataset: inspectDatasetHandler(deps),
  };
}

/** The HTTP/2 receive window an upload's connection gets (the default is 64 KiB); at most this much is buffered. */
const uploadWindowBytes = 8 * 1024 * 1024;
const widened = new WeakSet<Http2Session>();

/**
 * Widens the HTTP/2 receive window of the connection an upload arrives on, so the client is
 * not held to 64 KiB per round trip (grpc-js has no server option for it). grpc-js does not
 * expose a call's HTTP/2 stream, so it is found through the call's internal chain; where that
 * is not found (another grpc-js version) nothing changes.
 */
function widenReceiveWindow(call: object): void {
  try {
    let link: unknown = call;
    for (let depth = 0; depth < 8 && link && typeof link === "object"; depth++) {
      const stream = (link as { stream?: { session?: Http2Session } }).stream;
      const session = stream?.session;
      if (session && typeof session.setLocalWindowSize === "function") {
        if (widened.has(session) || session.destroyed) return;
        widened.add(session);
        session.setLocalWindowSize(uploadWindowBytes);
        session.settings({ initialWindowSize: uploadWindowBytes });
        return;
      }
      const next = link as { call?: unknown; nextCall?: unknown };
      link = next.call ?? next.nextCall;
    }
  } catch {
    // Best effort only.
  }
}

async function upload(
  call: ServerReadableStream<UploadDatasetRequest, UploadDatasetResponse>,
  deps: DatasetHandlerDeps,
): Promise<UploadDatasetResponse> {
  widenReceiveWindow(call);
  // destroyOnReturn: false keeps the call usable for the response after the last message.
  const messages = call.iterator({
    destroyOnReturn: false,
  }) as AsyncIterableIterator<UploadDatasetRequest>;
  const first = await messages.next();
  const metadata = first.done ? undefined : first.value.message;
  if (metadata?.$case !== "metadata") {
    throw new AppError("INVALID_ARGUMENT", "the first UploadDatasetRequest must carry metadata");
  }
  const checkable = metadata.value.sizeBytes > 0 || metadata.value.sha256 !== "";
  // Every message is a fresh Buffer, dead once written (see `DeadBufferCollector`).
  const garbage = new DeadBufferCollector();
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const request of messages) {
      if (request.message?.$case !== "chunk") {
        throw new AppError(
          "INVALID_ARGUMENT",
          "after the metadata, every UploadDatasetRequest must carry a chunk",
        );
      }
      garbage.allocated(request.message.value.length);
      yield request.message.value;
    }
    // A cancelled call also ends the message stream, and is flagged a few milliseconds later.
    // An upload that declared its size or hash is checked against it, so a cut-off one fails
    // that check at once; one that declared neither gets a moment for a cancellation to show.
    if (call.cancelled || (!checkable && (await cancelledWithin(call, cancelGraceMs)))) {
      throw new AppError("UNAVAILABLE", "the client cancelled the upload");
    }
  }
  const stored = await uploadDataset(
    deps.db,
    deps.maxUploadBytes,
    metadata.value,
    chunks(),
    deps.replicaId,
  );
  deps.logger.info({ datasetId: stored.datasetId, bytes: stored.sizeBytes }, "dataset uploaded");
  return { datasetId: stored.datasetId, sizeBytes: stored.sizeBytes, sha256: stored.sha256 };
}

/** How long an ended upload waits for a cancellation that may follow its end. */
const cancelGraceMs = 50;

function cancelledWithin(
  call: ServerReadableStream<unknown, unknown>,
  ms: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      call.off("cancelled", onCancelled);
      resolve(false);
    }, ms);
    const onCancelled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    call.once("cancelled", onCancelled);
  });
}

async function download(
  call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
  deps: DatasetHandlerDeps,
): Promise<void> {
  const writer = new StreamWriter<DownloadDatasetResponse>(call);
  try {
    // A plugin reads only the datasets of its own projects.
    await checkDownloadAllowed(deps.db, principalOf(call), call.request.trainingDfName);
    const chunks = await openDatasetDownload(
      deps.db,
      call.request.trainingDfName,
      call.request.offset,
    );
    const inFlight = new InFlight(call, maxMessagesInFlight);
    // Each MiB sent is allocated three times (the row read, its encoding, grpc-js' frame), but
    // only the reader's two count towards a young-generation collection: counting the third too
    // costs more CPU per MB for the same peak memory.
    for await (const chunk of chunks) {
      if (!writer.isOpen) return;
      await inFlight.slot();
      if (!writer.isOpen) return;
      call.write({ chunk }, inFlight.done);
    }
    if (writer.isOpen) call.end();
  } catch (error) {
    if (writer.isOpen) endCall(call, toGrpcStatus(error, deps.logger));
  }
}

/**
 * Download messages handed to grpc-js and not yet written out: grpc-js' own buffer would take
 * 16 messages (16 MiB) before its `write` returns false, so the download waits for each
 * message's write callback instead and keeps at most this many in memory.
 */
const maxMessagesInFlight = 4;

class InFlight {
  private count = 0;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    stream: ServerWritableStream<unknown, unknown>,
    private readonly max: number,
  ) {
    const close = () => {
      this.closed = true;
      this.wakeUp();
    };
    for (const event of ["close", "finish", "cancelled", "error"]) stream.once(event, close);
  }

  /** Resolves once fewer than `max` messages are in flight (or the stream closed). */
  async slot(): Promise<void> {
    while (this.count >= this.max && !this.closed) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    this.count++;
  }

  readonly done = (): void => {
    this.count--;
    this.wakeUp();
  };

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
