/**
 * The receiving side of a client-streamed upload (UploadDataset, UploadModel): a wider HTTP/2
 * window for the call's connection, the metadata message first, then the chunks, each a fresh
 * Buffer counted towards a young-generation collection, and a cancelled call told apart from
 * a finished one.
 */
import type { Http2Session } from "node:http2";
import type { ServerReadableStream } from "@grpc/grpc-js";
import { AppError } from "../../domain/errors.js";
import { DeadBufferCollector } from "../../store/blobs/dead-buffer-collector.js";

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

/** How one upload RPC's messages carry the metadata and the chunks. */
export interface UploadMessages<Req, M> {
  /** The request message's name, for error messages, e.g. `UploadDatasetRequest`. */
  readonly name: string;
  metadataOf(request: Req): M | undefined;
  chunkOf(request: Req): Uint8Array | undefined;
  /** The metadata declares the size or the hash: a cut-off upload fails that check at once. */
  declaresContent(metadata: M): boolean;
}

export interface ReceivedUpload<M> {
  readonly metadata: M;
  /** The file's bytes; fails with UNAVAILABLE when the client cancelled the call. */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** Reads the first message (it must carry the metadata) and hands the chunks on. */
export async function receiveUpload<Req, M>(
  call: ServerReadableStream<Req, unknown>,
  messages: UploadMessages<Req, M>,
): Promise<ReceivedUpload<M>> {
  widenReceiveWindow(call);
  // destroyOnReturn: false keeps the call usable for the response after the last message.
  const requests = call.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Req>;
  const first = await requests.next();
  const metadata = first.done ? undefined : messages.metadataOf(first.value);
  if (metadata === undefined) {
    throw new AppError("INVALID_ARGUMENT", `the first ${messages.name} must carry metadata`);
  }
  const checkable = messages.declaresContent(metadata);
  // Every message is a fresh Buffer, dead once written (see `DeadBufferCollector`).
  const garbage = new DeadBufferCollector();
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const request of requests) {
      const chunk = messages.chunkOf(request);
      if (chunk === undefined) {
        throw new AppError(
          "INVALID_ARGUMENT",
          `after the metadata, every ${messages.name} must carry a chunk`,
        );
      }
      garbage.allocated(chunk.length);
      yield chunk;
    }
    // A cancelled call also ends the message stream, and is flagged a few milliseconds later.
    // An upload that declared its size or hash is checked against it, so a cut-off one fails
    // that check at once; one that declared neither gets a moment for a cancellation to show.
    if (call.cancelled || (!checkable && (await cancelledWithin(call, cancelGraceMs)))) {
      throw new AppError("UNAVAILABLE", "the client cancelled the upload");
    }
  }
  return { metadata, chunks: chunks() };
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
