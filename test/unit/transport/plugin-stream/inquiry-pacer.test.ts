import { describe, expect, it } from "vitest";
import { InquiryPacer } from "../../../../src/transport/plugin-stream/inquiry-pacer.js";
import { StreamSession } from "../../../../src/transport/plugin-stream/stream-session.js";
import { testMetrics } from "../../../helpers/metrics.js";

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

describe("InquiryPacer's time budget", () => {
  it("ends a slice once its writes used the budget, and sends the rest on later turns", async () => {
    let clock = 0;
    // Each write "takes" 2 ms on this clock; the budget is 5 ms: three writes per turn.
    const pacer = new InquiryPacer({ slice: 100, budgetMs: 5, now: () => clock });
    const sent: number[] = [];
    for (let i = 0; i < 7; i++)
      pacer.send(() => {
        clock += 2;
        sent.push(i);
      });
    await nextTurn();
    expect(sent).toEqual([0, 1, 2]);
    expect(pacer.pending).toBe(4);
    await nextTurn();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
    await nextTurn();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pacer.pending).toBe(0);
  });

  it("sends at least one write per turn however slow writes are", async () => {
    let clock = 0;
    const pacer = new InquiryPacer({ budgetMs: 1, now: () => clock });
    const sent: number[] = [];
    for (let i = 0; i < 3; i++)
      pacer.send(() => {
        clock += 1000;
        sent.push(i);
      });
    await nextTurn();
    expect(sent).toEqual([0]);
    await nextTurn();
    await nextTurn();
    expect(sent).toEqual([0, 1, 2]);
  });
});

describe("a stream's inquiries", () => {
  it("are queued once while one waits: rounds piling up send one inquiry, not several", async () => {
    const pacer = new InquiryPacer();
    const written: unknown[] = [];
    const writer = {
      isOpen: true,
      write: async (message: unknown) => {
        written.push(message);
      },
    };
    const session = new StreamSession({
      id: 1,
      key: "k",
      writer: writer as never,
      inquiries: pacer,
      metrics: testMetrics(),
    });
    session.sendOnlineInquiry();
    session.sendOnlineInquiry();
    expect(pacer.pending).toBe(1);
    await nextTurn();
    expect(written).toHaveLength(1);
    session.sendOnlineInquiry(); // sent: the next round queues again
    expect(pacer.pending).toBe(1);
  });
});
