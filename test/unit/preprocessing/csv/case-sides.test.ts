import { expect, it } from "vitest";
import { CaseSides } from "../../../../src/app/preprocessing/csv/case-sides.js";

it("remembers the side of every case, exactly as a Map would", () => {
  const sides = new CaseSides();
  const expected = new Map<string, boolean>();
  let state = 7;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  const ids = ["", " ", "é", "日本", "a\u0000b", "x".repeat(5000), "case-1", "case-10", "case-1 "];
  for (let i = 0; i < 50_000; i++) ids.push(`case-${random() % 20_000}`);
  for (const id of ids) {
    const side = sides.get(id);
    expect(side).toBe(expected.get(id));
    if (side === undefined) {
      const holdout = random() % 3 === 0;
      sides.addLast(holdout);
      expected.set(id, holdout);
    }
  }
  expect(sides.size).toBe(expected.size);
  for (const [id, holdout] of expected) expect(sides.get(id)).toBe(holdout);
  expect(sides.get("case-20001")).toBeUndefined();
  expect(sides.get("日本 ")).toBeUndefined();
});

/** The table's hash (FNV-1a over the UTF-8 bytes), to find ids that collide. */
function fnv1a(id: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id)) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash | 0;
}

it("tells apart ids whose hashes collide", () => {
  const seen = new Map<number, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; pair === undefined; i++) {
    const id = `id-${i}`;
    const other = seen.get(fnv1a(id));
    if (other !== undefined) pair = [other, id];
    seen.set(fnv1a(id), id);
  }
  const sides = new CaseSides();
  expect(sides.get(pair[0])).toBeUndefined();
  sides.addLast(true);
  expect(sides.get(pair[1])).toBeUndefined();
  sides.addLast(false);
  expect([sides.get(pair[0]), sides.get(pair[1])]).toEqual([true, false]);
});
