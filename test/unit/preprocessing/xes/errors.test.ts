import { describe, expect, it } from "vitest";
import { readXes } from "../../../../src/app/preprocessing/xes/index.js";
import { chunked, log, RecordingSink, readError } from "./helpers.js";

const event = '<event>\n<string key="concept:name" value="a"/>\n</event>\n';
const trace = (body: string, id = '<string key="concept:name" value="c1"/>\n') =>
  `<trace>\n${id}${body}</trace>\n`;

/** Line 1: XML declaration, line 2: <log>, line 3: <trace>, line 4: its concept:name. */
const withEvent = (attribute: string) =>
  log(trace(`<event>\n<string key="concept:name" value="a"/>\n${attribute}\n</event>\n`));

describe("readXes: malformed logs give a DatasetError with what, where and what to do", () => {
  it("not XML at all", async () => {
    const error = await readError("<hello, world>\n");
    expect(error.line).toBe(1);
    expect(error.message).toMatch(/^line 1: not well-formed XML at column \d+: .+\. An XES log/);
  });

  it("a log cut short: unclosed tags", async () => {
    const xml = log(trace(event + event));
    const error = await readError(xml.slice(0, xml.indexOf("</event>", 100)));
    expect(error.message).toMatch(/not well-formed XML at column \d+: unclosed tag: event\./);
    expect(error.message).toContain("is the file complete");
    expect(error.line).toBe(xml.slice(0, xml.indexOf("</event>", 100)).split("\n").length);
  });

  it("mismatched tags", async () => {
    const error = await readError(log(trace('<event>\n<string key="concept:name" value="a"/>\n')));
    expect(error.line).toBe(7); // </trace> while <event> is open
    expect(error.message).toMatch(
      /^line 7: not well-formed XML at column 9: unexpected close tag\./,
    );
  });

  it("an undefined entity", async () => {
    const error = await readError(withEvent('<string key="note" value="a&nbsp;b"/>'));
    expect(error.line).toBe(7);
    expect(error.message).toContain("undefined entity");
  });

  it("an <event> outside a <trace>", async () => {
    const error = await readError(log(trace(event) + event));
    expect(error.line).toBe(9);
    expect(error.message).toBe(
      "line 9: an <event> outside a <trace>: every event belongs to a case; put it inside the <trace> of its case",
    );
  });

  it("a <trace> without concept:name, with or without events", async () => {
    const noId = '<string key="region" value="north"/>\n';
    for (const body of [event, ""]) {
      const error = await readError(log(trace(event) + trace(body, noId)));
      expect(error.line).toBe(9); // the line of that <trace>
      expect(error.message).toContain("every trace needs a concept:name attribute (its case id)");
    }
    const empty = await readError(log(trace(event, '<string key="concept:name" value=" "/>\n')));
    expect(empty.line).toBe(3);
  });

  it("a trace attribute after the trace's first event", async () => {
    const error = await readError(log(trace(`${event}<string key="region" value="n"/>\n`)));
    expect(error.line).toBe(8);
    expect(error.message).toContain(`the trace attribute "region" comes after an <event>`);
  });

  it("a date that does not read as ISO 8601", async () => {
    const error = await readError(
      withEvent('<date key="time:timestamp" value="01/10/2011 10:00"/>'),
    );
    expect(error.message).toBe(
      'line 7: attribute "time:timestamp": cannot read "01/10/2011 10:00" as a timestamp (an XES date is ISO 8601, e.g. 2011-10-01T00:38:44.546+02:00)',
    );
  });

  it("an int or a float that does not read as a number", async () => {
    const int = await readError(withEvent('<int key="points" value="3 points"/>'));
    expect(int.message).toMatch(/^line 7: attribute "points": cannot read "3 points" as a number/);
    const float = await readError(withEvent('<float key="amount" value="35,5"/>'));
    expect(float.message).toMatch(/^line 7: attribute "amount": cannot read "35,5" as a number/);
  });

  it("a boolean that is not true or false", async () => {
    const error = await readError(withEvent('<boolean key="paid" value="maybe"/>'));
    expect(error.message).toBe(
      'line 7: attribute "paid": cannot read "maybe" as a boolean (an XES boolean is true or false)',
    );
  });

  it("a bad value of a trace attribute", async () => {
    const error = await readError(
      log(
        trace(event, '<string key="concept:name" value="c1"/>\n<date key="due" value="soon"/>\n'),
      ),
    );
    expect(error.line).toBe(5);
    expect(error.message).toContain('attribute "due": cannot read "soon" as a timestamp');
  });

  it("a root other than <log>", async () => {
    const error = await readError('<?xml version="1.0"?>\n<html><body/></html>\n');
    expect(error.message).toBe(
      "line 2: the root element is <html>, not <log>: an XES event log (IEEE 1849) is a <log> element; is this an XES file?",
    );
  });

  it("an empty log, or one whose traces have no events", async () => {
    for (const body of ["", trace("")]) {
      const xml = log(body);
      const error = await readError(xml);
      expect(error.line).toBe(xml.split("\n").length - 1); // the line of </log>
      expect(error.message).toContain(
        "the log has no events: an XES log needs at least one <trace> holding an <event>",
      );
    }
  });

  it("an empty file", async () => {
    const error = await readError("");
    expect(error.line).toBe(1);
    expect(error.message).toContain("document must contain a root element");
  });

  it("an attribute without a key or without a value", async () => {
    const noKey = await readError(withEvent('<string value="x"/>'));
    expect(noKey.message).toBe(
      'line 7: a <string> attribute without a key: write it as <string key="name" value="…"/>',
    );
    const noValue = await readError(withEvent('<int key="points"/>'));
    expect(noValue.message).toBe(
      'line 7: the attribute "points" has no value: write it as <int key="points" value="…"/>',
    );
  });

  it("a trace inside a trace, and an event inside an event", async () => {
    const nestedTrace = await readError(log(trace(`${event}<trace>\n`)));
    expect(nestedTrace.line).toBe(8);
    expect(nestedTrace.message).toContain("a <trace> inside the <trace> of line 3");
    const nestedEvent = await readError(log(trace("<event>\n<event>\n</event>\n</event>\n")));
    expect(nestedEvent.line).toBe(6);
    expect(nestedEvent.message).toContain("an <event> inside an <event>: close the event first");
  });

  it("invalid UTF-8", async () => {
    const xml = Buffer.from(log(trace(event)));
    const bad = Buffer.concat([xml.subarray(0, 80), Buffer.from([0xff]), xml.subarray(80)]);
    const error = await readError(bad);
    expect(error.message).toContain("invalid UTF-8 byte sequence");
    expect(error.line).toBe(bad.subarray(0, 80).toString().split("\n").length);
  });

  it("finds problems in the first pass, before the sink gets anything", async () => {
    const sink = new RecordingSink();
    const xml = Buffer.from(log(trace(event) + trace(event).replace("c1", "c2") + event));
    await expect(readXes(() => chunked(xml, 16), sink)).rejects.toThrow("outside a <trace>");
    expect(sink.calls).toEqual([]);
  });
});
