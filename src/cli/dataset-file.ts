/**
 * A dataset file named on the command line (CSV or XES, plain or gzip: the core tells them
 * apart by their content): sent inline when small, streamed with UploadDataset first otherwise.
 */
import { readFile, stat } from "node:fs/promises";
import type { CoreClient } from "./client.js";
import { CliError, usageError } from "./errors.js";
import { formatMegabytes } from "./format.js";
import { uploadFile } from "./upload.js";

/** Files larger than this are streamed with UploadDataset (with progress); smaller ones go inline. */
export const uploadBytes = 1_000_000;

/** How the core gets the file: exactly one of the two is set. */
export interface SentDataset {
  /** The file's bytes, for a request's inline field; empty when uploaded. */
  readonly inline: Buffer;
  /** The upload's id; '' when inline. */
  readonly datasetId: string;
}

/** The file's size; a missing or unreadable file is a usage error naming `option`. */
export async function datasetSize(path: string, option: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    throw unreadable(path, option, error);
  }
}

/** Reads a small file for an inline field, or uploads a large one (progress on stderr). */
export async function sendDataset(
  client: CoreClient,
  path: string,
  option: string,
  json: boolean,
): Promise<SentDataset> {
  if ((await datasetSize(path, option)) > uploadBytes) {
    return { inline: Buffer.alloc(0), datasetId: await upload(client, path, json) };
  }
  try {
    return { inline: await readFile(path), datasetId: "" };
  } catch (error) {
    throw unreadable(path, option, error);
  }
}

function unreadable(path: string, option: string, error: unknown) {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  return usageError(`cannot read ${option} ${path}: ${reason}`);
}

/** Streams the file, showing progress on stderr (in place on a terminal, tenths otherwise). */
async function upload(client: CoreClient, path: string, json: boolean): Promise<string> {
  const out = process.stderr;
  const live = out.isTTY && !json;
  let shownTenth = -1;
  const showProgress = (sent: number, total: number) => {
    const line = `uploading ${formatMegabytes(sent)} / ${formatMegabytes(total)}`;
    if (live) out.write(`\r${line}`);
    else if (Math.floor((sent / total) * 10) > shownTenth) {
      shownTenth = Math.floor((sent / total) * 10);
      out.write(`${line}\n`);
    }
  };
  try {
    return (await uploadFile(client.address, path, showProgress, client.token)).datasetId;
  } catch (error) {
    if (typeof (error as { code?: unknown }).code === "number") throw client.failure(error, 0);
    throw new CliError(`uploading ${path} failed: ${(error as Error).message}`);
  } finally {
    if (live) out.write("\n");
  }
}
