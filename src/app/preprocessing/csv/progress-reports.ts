/** How often a pass reports its progress: about every 64k rows or 8 MiB read, and at the end. */

const PROGRESS_ROWS = 64 * 1024;
const PROGRESS_BYTES = 8 * 1024 * 1024;

export interface Progress {
  readonly rows: number;
  /** Bytes read from the source (including a BOM). */
  readonly bytes: number;
}

/**
 * A function to call after each input chunk (and with `final` once at the end) that calls
 * `onProgress` with `current()` when enough has been read since the last report.
 */
export function progressReporter(
  onProgress: ((progress: Progress) => void) | undefined,
  current: () => Progress,
): (final: boolean) => void {
  let reported: Progress = { rows: 0, bytes: 0 };
  return (final) => {
    if (!onProgress) return;
    const now = current();
    const due =
      final ||
      now.rows - reported.rows >= PROGRESS_ROWS ||
      now.bytes - reported.bytes >= PROGRESS_BYTES;
    if (!due) return;
    reported = { rows: now.rows, bytes: now.bytes };
    onProgress({ ...reported });
  };
}
