/**
 * The typed attribute elements of IEEE 1849 (XES) and what each type means for a column: the
 * definition it hints and how its values are checked. Values are passed on as written (a date
 * keeps its offset); the check only makes a bad value fail early, with its line.
 */
import {
  cannotRead,
  isMissing,
  readNumber,
  readTimestamp,
  type TypedHint,
} from "../../../domain/event-log/index.js";

export type XesType = "string" | "date" | "int" | "float" | "boolean" | "id";

/** The type of a typed attribute element (`<date …/>` → date), undefined for other elements. */
export function xesTypeOf(elementName: string): XesType | undefined {
  switch (elementName) {
    case "string":
    case "date":
    case "int":
    case "float":
    case "boolean":
    case "id":
      return elementName;
    default:
      return undefined;
  }
}

/** The definition a type implies; string and id imply none (TEXT unless inferred or given). */
export function hintOf(type: XesType): TypedHint | undefined {
  switch (type) {
    case "date":
      return "DATETIME";
    case "int":
    case "float":
      return "NUMBER";
    case "boolean":
      return "BOOLEAN";
    default:
      return undefined;
  }
}

// xs:boolean's lexical forms; case is forgiven, since the core reads booleans in any case.
const xsBooleans = new Set(["true", "false", "1", "0"]);

/**
 * Why `value` is not a valid value of `type`, or undefined when it is. An empty value is a
 * missing one, valid for every type.
 */
export function valueProblem(type: XesType, value: string): string | undefined {
  switch (type) {
    case "date":
      return isMissing(value) || readTimestamp(value) !== undefined
        ? undefined
        : `${cannotRead(value, "timestamp")} (an XES date is ISO 8601, e.g. 2011-10-01T00:38:44.546+02:00)`;
    case "int":
    case "float":
      return isMissing(value) || readNumber(value) !== undefined
        ? undefined
        : `${cannotRead(value, "number")} (write digits with a "." for decimals, e.g. 35.5)`;
    case "boolean":
      return isMissing(value) || xsBooleans.has(value.trim().toLowerCase())
        ? undefined
        : `${cannotRead(value, "boolean")} (an XES boolean is true or false)`;
    default:
      return undefined;
  }
}
