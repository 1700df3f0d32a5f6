import { describe, expect, it } from "vitest";
import { InquiryPacer } from "../../../src/transport/inquiry-pacer.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("InquiryPacer", () => {
  it("sends a round a slice per event-loop turn, in order, and all of it", async () => {
    const pacer = new InquiryPacer(2);
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) pacer.send(() => sent.push(i));
    expect(sent).toEqual([]); // nothing synchronously: the caller's turn is not held
    await nextTurn();
    expect(sent).toEqual([0, 1]);
    await nextTurn();
    expect(sent).toEqual([0, 1, 2, 3]);
    await nextTurn();
    expect(sent).toEqual([0, 1, 2, 3, 4]);
    pacer.send(() => sent.push(5)); // a new round starts again after the queue ran dry
    await nextTurn();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
