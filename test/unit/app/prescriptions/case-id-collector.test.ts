import { expect, it } from "vitest";
import { CaseIdCollector } from "../../../../src/app/prescriptions/jobs/case-id-collector.js";

/** The case ids read from `text` written in chunks of `size` bytes; and the bytes passed on. */
async function collect(text: string, size: number) {
  const passed: Buffer[] = [];
  const collector = new CaseIdCollector({
    write: async (chunk) => {
      passed.push(Buffer.from(chunk));
    },
  });
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) await collector.write(bytes.subarray(i, i + size));
  return { ids: collector.caseIds, passed: Buffer.concat(passed).toString() };
}

const set = [
  "CASE_ID,ACTIVITY,TIMESTAMP",
  "c1,a,2024-01-01T00:00:00.000Z",
  "c1,b,2024-01-01T00:00:01.000Z",
  '"c,2","x\ny",2024-01-01T00:00:00.000Z',
  '"c,2",b,2024-01-01T00:00:01.000Z',
  '"say ""hi""",a,2024-01-01T00:00:00.000Z',
  "ünï,a,2024-01-01T00:00:00.000Z",
  "",
].join("\n");

it.each([1, 2, 3, 7, 1024])(
  "reads each case once, in order, from chunks of %i bytes",
  async (size) => {
    const { ids, passed } = await collect(set, size);
    expect(ids).toEqual(["c1", "c,2", 'say "hi"', "ünï"]);
    expect(passed).toBe(set);
  },
);

it("reads no case from a header alone", async () => {
  expect((await collect("CASE_ID,ACTIVITY,TIMESTAMP\n", 5)).ids).toEqual([]);
});
