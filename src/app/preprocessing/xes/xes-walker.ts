/**
 * Walks the elements of an XES log (IEEE 1849) as the XML parser (saxes) reports them, and tells
 * a visitor about the parts that make rows: the keys `<global>` declares, each trace with its
 * attributes, each event with its attributes. Nothing is kept but the current position.
 *
 * What is read and what is skipped:
 * - `<log>` must be the root. Its `<extension>`, `<classifier>` and own attributes are skipped.
 * - `<global scope="trace|event">` (scope defaults to event): the keys of its typed attributes.
 * - `<trace>`: its typed attributes (before its first `<event>`, as the standard orders them;
 *   one must be `concept:name`, the case id), then its `<event>`s and their typed attributes.
 * - Typed attributes are `<string|date|int|float|boolean|id key=".." value=".."/>`. What is
 *   nested inside one (XES 2.0 meta attributes) is skipped, and so are `<list>` and any other
 *   element: they have no place in a row.
 *
 * Problems throw a DatasetError whose line is the line of the offending element: XML that is not
 * well-formed (saxes' message, with the column), a root other than `<log>`, an `<event>` outside
 * a `<trace>`, a trace without a case id, an attribute without a key or value, and, with
 * `checkValues`, a value that does not read for its type.
 */
import { SaxesParser } from "saxes";
import { DatasetError } from "../csv/errors.js";
import { valueProblem, type XesType, xesTypeOf } from "./attribute-types.js";

export type Scope = "trace" | "event";

export interface XesVisitor {
  /** A key `<global>` declares for every trace or every event. */
  global(scope: Scope, key: string, type: XesType): void;
  traceStart(): void;
  traceAttribute(key: string, type: XesType, value: string): void;
  eventStart(line: number): void;
  eventAttribute(key: string, type: XesType, value: string): void;
  eventEnd(): void;
  traceEnd(): void;
}

/** An element as saxes reports it without namespace processing. */
interface Tag {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

export interface WalkOptions {
  /** Check each value against its type (one pass over a log is enough). */
  readonly checkValues: boolean;
}

// Where the walker is; SKIPPING covers an element it ignores, with everything inside it.
const BEFORE_LOG = 0;
const IN_LOG = 1;
const IN_GLOBAL = 2;
const IN_TRACE = 3;
const IN_EVENT = 4;
const SKIPPING = 5;
const AFTER_LOG = 6;
type Place = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export class XesWalker {
  /** Events seen so far. */
  events = 0;
  /** The line of `</log>`, 0 before it. */
  logEndLine = 0;
  private readonly parser = new SaxesParser();
  private place: Place = BEFORE_LOG;
  private skipDepth = 0;
  private placeAfterSkip: Place = IN_LOG;
  private globalScope: Scope = "event";
  private traceLine = 0;
  private traceHasCaseId = false;
  private traceHasEvents = false;

  constructor(
    private readonly visitor: XesVisitor,
    private readonly options: WalkOptions,
  ) {
    this.parser.on("opentag", (tag) => this.open(tag as Tag));
    this.parser.on("closetag", () => this.close());
    this.parser.on("error", (error) => {
      throw this.notWellFormed(error);
    });
  }

  write(text: string): void {
    this.parser.write(text);
  }

  /** The end of the input: throws when an element is still open. */
  end(): void {
    this.parser.close();
  }

  private open(tag: Tag): void {
    switch (this.place) {
      case SKIPPING:
        this.skipDepth++;
        return;
      case IN_TRACE:
        this.openInTrace(tag);
        return;
      case IN_EVENT:
        this.openInEvent(tag);
        return;
      case IN_LOG:
        this.openInLog(tag);
        return;
      case IN_GLOBAL:
        this.openInGlobal(tag);
        return;
      case BEFORE_LOG:
        if (tag.name !== "log") {
          throw this.problem(
            `the root element is <${tag.name}>, not <log>: an XES event log (IEEE 1849) is a <log> element; is this an XES file?`,
          );
        }
        this.place = IN_LOG;
        return;
      default:
        return; // after </log>: saxes reports a second root
    }
  }

  private openInLog(tag: Tag): void {
    switch (tag.name) {
      case "trace":
        this.place = IN_TRACE;
        this.traceLine = this.parser.line;
        this.traceHasCaseId = false;
        this.traceHasEvents = false;
        this.visitor.traceStart();
        return;
      case "event":
        throw this.problem(
          "an <event> outside a <trace>: every event belongs to a case; put it inside the <trace> of its case",
        );
      case "global": {
        const scope = tag.attributes.scope ?? "event";
        if (scope === "trace" || scope === "event") {
          this.globalScope = scope;
          this.place = IN_GLOBAL;
        } else {
          this.skip(IN_LOG);
        }
        return;
      }
      default:
        this.skip(IN_LOG); // extensions, classifiers, log attributes, anything else
    }
  }

  private openInGlobal(tag: Tag): void {
    const type = xesTypeOf(tag.name);
    if (type !== undefined) this.visitor.global(this.globalScope, this.keyOf(tag), type);
    this.skip(IN_GLOBAL);
  }

  private openInTrace(tag: Tag): void {
    const type = xesTypeOf(tag.name);
    if (type !== undefined) {
      const key = this.keyOf(tag);
      if (this.traceHasEvents) {
        throw this.problem(
          `the trace attribute "${key}" comes after an <event>: IEEE 1849 puts a trace's attributes before its events; move it up`,
        );
      }
      const value = this.valueOf(tag, key, type);
      if (key === "concept:name" && value.trim() !== "") this.traceHasCaseId = true;
      this.visitor.traceAttribute(key, type, value);
      this.skip(IN_TRACE);
      return;
    }
    if (tag.name === "event") {
      if (!this.traceHasCaseId) throw this.missingCaseId();
      this.traceHasEvents = true;
      this.events++;
      this.place = IN_EVENT;
      this.visitor.eventStart(this.parser.line);
      return;
    }
    if (tag.name === "trace") {
      throw this.problem(
        `a <trace> inside the <trace> of line ${this.traceLine}: close the first trace before the next one`,
      );
    }
    this.skip(IN_TRACE);
  }

  private openInEvent(tag: Tag): void {
    const type = xesTypeOf(tag.name);
    if (type !== undefined) {
      const key = this.keyOf(tag);
      this.visitor.eventAttribute(key, type, this.valueOf(tag, key, type));
    } else if (tag.name === "event" || tag.name === "trace") {
      const article = tag.name === "event" ? "an" : "a";
      throw this.problem(`${article} <${tag.name}> inside an <event>: close the event first`);
    }
    this.skip(IN_EVENT);
  }

  private close(): void {
    switch (this.place) {
      case SKIPPING:
        if (--this.skipDepth === 0) this.place = this.placeAfterSkip;
        return;
      case IN_EVENT:
        this.place = IN_TRACE;
        this.visitor.eventEnd();
        return;
      case IN_TRACE:
        if (!this.traceHasCaseId) throw this.missingCaseId();
        this.place = IN_LOG;
        this.visitor.traceEnd();
        return;
      case IN_GLOBAL:
        this.place = IN_LOG;
        return;
      case IN_LOG:
        this.place = AFTER_LOG;
        this.logEndLine = this.parser.line;
        return;
      default:
        return;
    }
  }

  /** Ignores the element just opened and everything inside it. */
  private skip(after: Place): void {
    this.place = SKIPPING;
    this.skipDepth = 1;
    this.placeAfterSkip = after;
  }

  private keyOf(tag: Tag): string {
    const key = tag.attributes.key;
    if (key === undefined || key === "") {
      throw this.problem(
        `a <${tag.name}> attribute without a key: write it as <${tag.name} key="name" value="…"/>`,
      );
    }
    return key;
  }

  private valueOf(tag: Tag, key: string, type: XesType): string {
    const value = tag.attributes.value;
    if (value === undefined) {
      throw this.problem(
        `the attribute "${key}" has no value: write it as <${tag.name} key="${key}" value="…"/>`,
      );
    }
    if (this.options.checkValues) {
      const problem = valueProblem(type, value);
      if (problem !== undefined) throw this.problem(`attribute "${key}": ${problem}`);
    }
    return value;
  }

  private missingCaseId(): DatasetError {
    return new DatasetError(
      this.traceLine,
      'a <trace> without a concept:name attribute: every trace needs a concept:name attribute (its case id), e.g. <string key="concept:name" value="case 1"/>',
    );
  }

  private problem(detail: string): DatasetError {
    return new DatasetError(this.parser.line, detail);
  }

  private notWellFormed(error: Error): DatasetError {
    // saxes writes "line:column: message", the column counted from 0.
    const found = /^(\d+):(\d+): (.*)$/s.exec(error.message);
    const line = found ? Number(found[1]) : this.parser.line;
    const where = found ? ` at column ${Number(found[2]) + 1}` : "";
    const what = (found ? (found[3] as string) : error.message).replace(/\.$/, "");
    return new DatasetError(
      line,
      `not well-formed XML${where}: ${what}. An XES log must be well-formed XML: is the file complete, and is every element closed in order?`,
    );
  }
}
