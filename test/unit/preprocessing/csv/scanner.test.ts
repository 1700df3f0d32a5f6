/**
 * The record scanner's split between quote-free records (handled without csv-parse) and the
 * rest (csv-parse): results must be as if csv-parse had read the whole file.
 */
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { LONG_RECORD_BYTES } from "../../../../src/app/preprocessing/csv/scanner.js";
import { rowsOf, run, runFailing } from "./helpers.js";

/**
 * A random file mixing quote-free and quoted records, line ends and blank lines; row `badRow`
 * (if given) has a single field. Physical lines: a CRLF, LF or lone CR ending a record or a
 * blank line counts one, as does every LF inside a quoted field.
 */
function randomFile(seed: number, rows: number, badRow = -1) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const plain = ["a", "b c", "", " ", "ü", "日本", "🚀", "1.5", "x;y"];
  const quoted = ['"a,b"', '"say ""hi"""', '"l1\nl2"', '"l1\r\nl2"', '"c\rr"', '""', '"x"'];
  const ends = ["\n", "\r\n", "\r"];
  const parts = ["case,a,b"];
  const lineOf: number[] = []; // physical line of each data row
  let line = 1;
  const lineEnd = () => {
    let end = pick(ends);
    if (end !== "\r" && parts.at(-1)?.endsWith("\r")) end = "\r"; // or it is one CRLF
    parts.push(end);
    line++;
  };
  lineEnd();
  for (let row = 0; row < rows; row++) {
    if (random() < 0.05) lineEnd(); // a blank line
    lineOf.push(line);
    const fields = [`c${Math.floor(row / 4)}`];
    for (let f = 0; f < (row === badRow ? 0 : 2); f++)
      fields.push(random() < 0.2 ? pick(quoted) : pick(plain));
    const text = fields.join(",");
    parts.push(text);
    line += text.split("\n").length - 1;
    lineEnd();
  }
  return { text: parts.join(""), lineOf };
}

describe("record scanner", () => {
  it("gives csv-parse's records, for any chunking, on mixed random files", async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const { text } = randomFile(seed, 3000);
      const reference = parse(text, {
        record_delimiter: ["\r\n", "\n", "\r"],
        skip_empty_lines: true,
      }) as string[][];
      const whole = await run(text, { holdoutFraction: 0.3 });
      const out = [...rowsOf(whole.training).slice(1), ...rowsOf(whole.holdout).slice(1)];
      expect(out.length).toBe(reference.length - 1);
      const key = (row: string[]) => JSON.stringify(row);
      expect(out.map(key).sort()).toEqual(reference.slice(1).map(key).sort());
      for (const chunkSize of [1, 97, 4093]) {
        const pieces = await run(text, { holdoutFraction: 0.3 }, chunkSize);
        expect(pieces.training).toBe(whole.training);
        expect(pieces.holdout).toBe(whole.holdout);
      }
    }
  });

  it("reports the physical line of a bad row anywhere in a mixed file", async () => {
    for (const badRow of [0, 57, 123, 399]) {
      const { text, lineOf } = randomFile(7, 400, badRow);
      const line = lineOf[badRow] as number;
      expect(line).toBeGreaterThan(badRow);
      for (const chunkSize of [undefined, 13]) {
        const error = await runFailing(text, {}, chunkSize);
        expect(error.line).toBe(line);
        expect(error.message).toMatch(/expected 3 fields, found 1/);
      }
    }
  });

  it("streams records longer than a chunk to csv-parse and counts their lines", async () => {
    const long = "x".repeat(LONG_RECORD_BYTES * 3);
    const input = `case,a\nc1,"${long}\n${long}"\nc2,${long}\nc3,1,extra\n`;
    const error = await runFailing(input, {}, 65536);
    expect(error.line).toBe(5); // c1 spans lines 2-3, c2 is line 4
    const { training, summary } = await run(input.replace(",extra", ""), {}, 65536);
    expect(summary.rows).toBe(3);
    expect(training).toBe(`case,a\nc1,"${long}\n${long}"\nc2,${long}\nc3,1\n`);
  });

  it("stops a runaway quote at csv-parse's record size limit, at the record's line", async () => {
    const rows = "c9,value value value value value value value value value value\n".repeat(300_000);
    const error = await runFailing(`case,a\nc1,1\n\nc2,"oops\n${rows}`, {}, 1 << 20);
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/^line 4: record longer than 16 Mi characters/);
  });

  it("writes ';' and tab files with ',' and quotes fields holding a comma", async () => {
    const input = 'case;a;b\r\nc1;x,y;z\r\nc2;p;q\r\nc3;"m;n";1,2\r\n';
    const { training } = await run(input);
    expect(training).toBe('case,a,b\nc1,"x,y",z\nc2,p,q\nc3,m;n,"1,2"\n');
  });
});
