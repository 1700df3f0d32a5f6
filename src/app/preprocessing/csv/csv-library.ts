/**
 * csv-parse, used for every record that holds a quote (and for records longer than a chunk):
 * quoting, embedded line breaks, CRLF / LF / CR line ends and every quoting error are its call.
 * Records reach the router synchronously, in order, with csv-parse's line counters.
 */
import { type Info, type Options, Parser } from "csv-parse";
import { parse } from "csv-parse/sync";
import type { RecordHandler } from "./record-handler.js";
import { MAX_RECORD_CHARS } from "./record-lines.js";
import type { Delimiter } from "./types.js";

export function parseOptions(delimiter: Delimiter): Options {
  return {
    delimiter,
    quote: '"',
    escape: '"',
    record_delimiter: ["\r\n", "\n", "\r"], // mixed line ends are fine
    relax_quotes: false,
    relax_column_count: true, // checked by the router, with a better message
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
  };
}

/**
 * Parses `bytes`, complete records (the last one may lack its line end), handing each record
 * to the router as it is parsed, so an earlier invalid record is reported before a later one.
 * One call costs about 30 µs of set-up, so callers pass runs of records, not single ones.
 */
export function parseRecords(bytes: Buffer, delimiter: Delimiter, router: RecordHandler): void {
  router.beginParsed();
  try {
    parse(bytes, {
      ...parseOptions(delimiter),
      on_record: (record: string[], info: Info) => {
        router.handleParsed(record, info);
        return undefined; // nothing is collected
      },
    });
  } catch (error) {
    throw router.parseFailure(error);
  }
}

/**
 * Records fed to csv-parse's stream parser, in one piece (long runs: no per-record context
 * object as with `on_record`) or piece by piece (a record spanning many input chunks: a long
 * quoted field, or a runaway quote that max_record_size stops; memory stays bounded by
 * csv-parse's own record limit). The last record comes out at `finish`.
 */
export class StreamedRecords {
  private readonly parser: RecordParser;

  constructor(delimiter: Delimiter, router: RecordHandler) {
    router.beginParsed();
    this.parser = new RecordParser(delimiter, router);
  }

  write(piece: Buffer): void {
    if (piece.length > 0) this.parser.write(piece); // parsed synchronously
    const failed = this.parser.errored;
    if (failed) throw this.parser.router.parseFailure(failed);
  }

  /** Ends the record: csv-parse emits it (or its error). */
  async finish(): Promise<void> {
    const parser = this.parser;
    await new Promise<void>((resolve, reject) => {
      if (parser.errored) {
        reject(parser.errored);
        return;
      }
      parser.once("error", reject);
      parser.once("finish", () => {
        parser.off("error", reject);
        if (parser.errored) reject(parser.errored);
        else resolve();
      });
      parser.end();
    }).catch((error: unknown) => {
      throw parser.router.parseFailure(error);
    });
  }
}

/**
 * csv-parse's stream parser, taking each record synchronously as the parser emits it: a
 * Transform emits its output through `push`, and csv-parse does so while parsing the chunk
 * given to `write`, so `info` is current for that record. The records never queue up in the
 * readable buffer. The line number tests would catch a csv-parse version that pushed later.
 */
class RecordParser extends Parser {
  constructor(
    delimiter: Delimiter,
    readonly router: RecordHandler,
  ) {
    super(parseOptions(delimiter));
    this.on("error", () => {}); // errors are read from `errored`
    this.resume(); // only the end is pushed, but the readable side must still end
  }

  override push(record: unknown): boolean {
    if (record === null) return super.push(null);
    this.router.handleParsed(record as string[], this.info);
    return true;
  }
}
