import { describe, expect, it } from "vitest";
import { DownloadDatasetResponse } from "../../../../src/gen/trainingcore/v1/dataset_service.js";
import { encodeDownloadResponse } from "../../../../src/transport/datasets/download-encoding.js";

describe("encodeDownloadResponse", () => {
  // Around every varint length boundary, and a stored row (1 MiB).
  const sizes = [0, 1, 127, 128, 16_383, 16_384, 1024 * 1024, 2_097_151, 2_097_152];

  it.each(sizes)("encodes %i bytes exactly as the generated code", (size) => {
    const chunk = Buffer.alloc(size);
    for (let i = 0; i < size; i += 997) chunk[i] = i % 251;
    const encoded = encodeDownloadResponse({ chunk });
    expect(Buffer.isBuffer(encoded)).toBe(true);
    expect(encoded.equals(Buffer.from(DownloadDatasetResponse.encode({ chunk }).finish()))).toBe(
      true,
    );
    expect(Buffer.from(DownloadDatasetResponse.decode(encoded).chunk).equals(chunk)).toBe(true);
  });

  it("encodes a chunk that is a view into a larger buffer", () => {
    const whole = Buffer.from("0123456789");
    const chunk = whole.subarray(3, 7);
    expect(encodeDownloadResponse({ chunk })).toEqual(
      Buffer.from(DownloadDatasetResponse.encode({ chunk }).finish()),
    );
  });
});
