/**
 * The sending side of a server-streamed download (DownloadDataset, DownloadModel): each chunk
 * a `{ chunk }` message, a few in flight at a time, stopping when the client goes away; a
 * failure before or during the transfer ends the call with its status.
 */
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { Logger } from "../../logger.js";
import { endCall, toGrpcStatus } from "../grpc-errors.js";
import { StreamWriter } from "../stream-writer.js";

/**
 * Opens the download with `open` (which checks the request and the caller) and streams it.
 * Never rejects: every outcome ends the call.
 */
export async function streamDownload(
  call: ServerWritableStream<unknown, { chunk: Buffer }>,
  open: () => Promise<AsyncIterable<Buffer>>,
  logger: Logger,
): Promise<void> {
  const writer = new StreamWriter<{ chunk: Buffer }>(call);
  try {
    const chunks = await open();
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
    if (writer.isOpen) endCall(call, toGrpcStatus(error, logger));
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
