/** Validation of the header record and choice of the case id column. */
import { detectCaseColumn } from "./case-split.js";
import { DatasetError, excerptOf } from "./errors.js";
import type { Delimiter } from "./types.js";

const MAX_LISTED_COLUMNS = 50;

export interface Header {
  /** Trimmed column names. */
  names: string[];
  /** Index of the case id column, -1 when there is none. */
  caseIndex: number;
  /** Name of the case id column, '' when there is none. */
  caseIdColumn: string;
}

/**
 * Checks the header record (found at `line`): no empty or duplicate names, and the requested
 * case id column ('' for auto-detection) must exist. Throws DatasetError.
 */
export function readHeader(
  record: readonly string[],
  line: number,
  requestedCaseColumn: string,
  delimiter: Delimiter,
): Header {
  const names = record.map((name) => name.trim());
  const excerpt = () => excerptOf(record.join(delimiter));
  const firstIndex = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === "") {
      throw new DatasetError(line, `column ${i + 1} has an empty name`, excerpt());
    }
    const earlier = firstIndex.get(name);
    if (earlier !== undefined) {
      throw new DatasetError(
        line,
        `duplicate column name ${JSON.stringify(name)} (columns ${earlier + 1} and ${i + 1})`,
        excerpt(),
      );
    }
    firstIndex.set(name, i);
  });
  const requested = requestedCaseColumn.trim();
  const caseColumn = requested === "" ? detectCaseColumn(names) : requested;
  if (caseColumn === undefined) return { names, caseIndex: -1, caseIdColumn: "" };
  const caseIndex = names.indexOf(caseColumn);
  if (caseIndex < 0) {
    throw new DatasetError(
      line,
      `case id column ${JSON.stringify(requested)} not found; available columns: ${listColumns(names)}`,
    );
  }
  return { names, caseIndex, caseIdColumn: caseColumn };
}

function listColumns(names: readonly string[]): string {
  const listed = names.slice(0, MAX_LISTED_COLUMNS).map((name) => JSON.stringify(name));
  const more = names.length - listed.length;
  return listed.join(", ") + (more > 0 ? ` and ${more} more` : "");
}
