import pino from "pino";
import { describe, expect, it } from "vitest";
import { type Change, ChangeFeed } from "../../../../src/app/change-feed/change-feed.js";
import {
  ChangeFeedBridge,
  payloadsOf,
} from "../../../../src/app/replication/change-feed-bridge.js";
import { sampleOf, testMetrics } from "../../../helpers/metrics.js";

const silent = pino({ level: "silent" });

/** Two replicas' feeds joined by bridges, notifications passed synchronously in between. */
function joinedPair() {
  const feeds = [new ChangeFeed(), new ChangeFeed()] as const;
  const metrics = [testMetrics(), testMetrics()] as const;
  const sent: string[] = [];
  const bridges: ChangeFeedBridge[] = [];
  for (const [i, feed] of feeds.entries()) {
    bridges.push(
      new ChangeFeedBridge({
        feed,
        replicaId: `r${i}`,
        logger: silent,
        metrics: metrics[i],
        notify: async (payload) => {
          sent.push(payload);
          // The channel reaches every listener, the sender included.
          for (const bridge of bridges) bridge.received(payload);
        },
      }),
    );
  }
  return { feeds, metrics, sent, bridges };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("ChangeFeedBridge", () => {
  it("carries live-event changes (kind stream) to the other replica, coalesced per project", async () => {
    const { feeds, sent } = joinedPair();
    const [here, there] = feeds;
    const seen: string[] = [];
    there.onStreamChanged(3, () => seen.push("stream 3"));
    there.onStreamChanged(4, () => seen.push("stream 4"));
    here.streamChanged(3);
    here.streamChanged(3);
    here.streamChanged(4);
    await nextTurn();
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0] as string)).toMatchObject({ s: [3, 4] });
    expect(seen).toEqual(["stream 3", "stream 4"]);
    there.everyStreamChanged();
    expect(seen).toEqual(["stream 3", "stream 4", "stream 3", "stream 4"]);
  });

  it("delivers every kind of change to the other replica once, and never back to its origin", async () => {
    const { feeds, metrics, sent } = joinedPair();
    const [here, there] = feeds;
    const seenThere: string[] = [];
    const seenHere: string[] = [];
    there.onProjectChanged(7, () => seenThere.push("project 7"));
    there.onWorkAvailable((key) => seenThere.push(`work ${key}`));
    there.onMembershipLeftWaiting((key, id) => seenThere.push(`left ${key} ${id}`));
    here.onProjectChanged(7, () => seenHere.push("project 7"));
    here.onWorkAvailable((key) => seenHere.push(`work ${key}`));

    here.projectChanged(7);
    here.projectChanged(7);
    here.workAvailable(["k", "k", "j"]);
    here.membershipLeftWaiting("k", 11);
    await nextTurn();

    // One notification for the whole turn; duplicates coalesced.
    expect(sent).toHaveLength(1);
    expect(seenThere).toEqual(["project 7", "work k", "work j", "left k 11"]);
    // Local listeners heard each change once, when it happened, not again from the channel.
    expect(seenHere).toEqual(["project 7", "project 7", "work k", "work j"]);
    // Counted where sent and where received; the origin does not count its own echo.
    const notifications = (i: 0 | 1, direction: string) =>
      sampleOf(metrics[i], "replica_notifications_total", { direction });
    expect(await notifications(0, "sent")).toBe(1);
    expect(await notifications(1, "received")).toBe(1);
    expect(await notifications(0, "received")).toBeUndefined();
  });

  it("does not send remote changes on again (no echo between replicas)", async () => {
    const { feeds, sent } = joinedPair();
    feeds[0].projectChanged(1);
    await nextTurn();
    await nextTurn();
    expect(sent).toHaveLength(1);
  });

  it("keeps to itself a membership leaving WAITING whose lease it holds (no one else holds it)", async () => {
    const sent: string[] = [];
    const feed = new ChangeFeed();
    // The bridge is asked before the feed's own listeners act (they release the lease).
    const held = new Set([11]);
    feed.onMembershipLeftWaiting((_key, id) => held.delete(id));
    new ChangeFeedBridge({
      feed,
      replicaId: "me",
      logger: silent,
      metrics: testMetrics(),
      leasedHere: (id) => held.has(id),
      notify: async (payload) => {
        sent.push(payload);
      },
    });
    feed.membershipLeftWaiting("k", 11);
    feed.membershipLeftWaiting("k", 12);
    await nextTurn();
    expect(sent.map((p) => JSON.parse(p))).toEqual([{ r: "me", w: [["k", 12]] }]);
  });

  it("ignores malformed notifications and malformed entries", () => {
    const feed = new ChangeFeed();
    const seen: string[] = [];
    feed.onWorkAvailable((key) => seen.push(key));
    feed.onProjectChanged(3, () => seen.push("p3"));
    const bridge = new ChangeFeedBridge({
      feed,
      replicaId: "me",
      logger: silent,
      metrics: testMetrics(),
      notify: async () => {},
    });
    for (const garbage of ["", "{", "null", "42", '"text"', "[]"]) bridge.received(garbage);
    bridge.received(
      JSON.stringify({ r: "other", p: ["3", 3.5, null, 3], k: [1, "ok"], w: [[1, 2], ["k"], "x"] }),
    );
    expect(seen).toEqual(["p3", "ok"]);
  });

  it("splits large batches into payloads PostgreSQL accepts (under 8000 bytes)", () => {
    const changes: Change[] = [];
    for (let i = 0; i < 3000; i++) changes.push({ kind: "project", projectId: 1_000_000_000 + i });
    for (let i = 0; i < 200; i++) {
      changes.push({ kind: "left-waiting", key: `${"\u0001".repeat(150)}-${i}`, membershipId: i });
    }
    const payloads = payloadsOf("replica-with-a-long-id", changes);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const projects = payloads.flatMap((p) => (JSON.parse(p) as { p?: number[] }).p ?? []);
    const left = payloads.flatMap((p) => (JSON.parse(p) as { w?: unknown[] }).w ?? []);
    expect(projects).toHaveLength(3000);
    expect(left).toHaveLength(200);
  });
});

describe("ChangeFeed", () => {
  it("re-reads every project watcher after a gap", () => {
    const feed = new ChangeFeed();
    const seen: number[] = [];
    feed.onProjectChanged(1, () => seen.push(1));
    feed.onProjectChanged(2, () => seen.push(2));
    feed.everyProjectChanged();
    expect(seen.sort()).toEqual([1, 2]);
  });
});
