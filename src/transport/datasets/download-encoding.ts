/**
 * DownloadDataset responses encoded with one copy. The generated serializer copies each chunk
 * three times (into the protobuf writer, out of it, into a Buffer), the first two into
 * zero-filled allocations; a download moves every byte of the file through it. The message has
 * one field (`bytes chunk = 1`), so its encoding is the tag, the length as a varint, and the
 * bytes: written here straight into one uninitialised Buffer, byte for byte what the generated
 * code produces.
 */
import {
  DatasetServiceService,
  type DownloadDatasetResponse,
} from "../../gen/trainingcore/v1/dataset_service.js";

/** Field 1, wire type 2 (length-delimited). */
const chunkTag = (1 << 3) | 2;

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

export function encodeDownloadResponse(message: DownloadDatasetResponse): Buffer {
  const chunk = message.chunk;
  // proto3 leaves a field with its default value (empty bytes) out.
  if (chunk.length === 0) return Buffer.alloc(0);
  const headerLength = 1 + varintLength(chunk.length);
  const out = Buffer.allocUnsafe(headerLength + chunk.length);
  out[0] = chunkTag;
  let at = 1;
  let rest = chunk.length;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at] = rest;
  out.set(chunk, headerLength);
  return out;
}

/** DatasetService as generated, but with the one-copy encoder for DownloadDataset responses. */
export const datasetService = {
  ...DatasetServiceService,
  downloadDataset: {
    ...DatasetServiceService.downloadDataset,
    responseSerialize: encodeDownloadResponse,
  },
} as const;
