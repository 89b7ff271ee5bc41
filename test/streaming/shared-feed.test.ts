import { describe, expect, it } from "vitest";
import { type FeedFrame, type FeedMember, SharedFeed } from "../../src/streaming/shared-feed";

/** A frame whose every filter key wants the bytes `n:<n>`. */
const frame = (n: number, epoch = "e1"): FeedFrame => ({ epoch, n, bytesFor: () => new TextEncoder().encode(`n:${n}`) });

/** A member that records the frame numbers of each hand-out. */
function recorder(): FeedMember & { got: number[][] } {
  const got: number[][] = [];
  return { got, deliver: (frames) => void got.push(frames.map((f) => f.n)) };
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("SharedFeed", () => {
  it("hands the frames that arrive together to each member in one delivery, in number order", async () => {
    const feed = new SharedFeed();
    const a = recorder();
    const b = recorder();
    feed.join(a);
    feed.join(b);
    feed.receive(frame(1));
    feed.receive(frame(3)); // waits for 2
    feed.receive(frame(2));
    expect(a.got).toEqual([]); // not yet: the rest of this task may bring more
    await nextTask();
    expect(a.got).toEqual([[1, 2, 3]]);
    expect(b.got).toEqual([[1, 2, 3]]);
    feed.receive(frame(4));
    await nextTask();
    expect(a.got).toEqual([[1, 2, 3], [4]]);
  });

  it("gives a member that joins before a hand-out the frames after its position from since(), and the same frames again in the hand-out (the relay skips those it has)", async () => {
    const feed = new SharedFeed();
    feed.receive(frame(1));
    feed.receive(frame(2));
    const late = recorder();
    feed.join(late);
    expect(feed.since({ epoch: "e1", n: 1, key: "k" })?.map((f) => f.n)).toEqual([2]);
    await nextTask();
    expect(late.got).toEqual([[1, 2]]);
  });

  it("starts a fresh count when the session object restarts (a new epoch), handing out the old count's frames first, and passes on held frames when their carrier closes", async () => {
    const feed = new SharedFeed();
    const m = recorder();
    feed.join(m);
    feed.receive(frame(1));
    feed.receive(frame(3)); // 2 never comes: its carrier closed
    feed.carrierClosed();
    feed.receive(frame(7, "e2"));
    // The old count's frames went out at once, before anything of the new one.
    expect(m.got).toEqual([[1, 3]]);
    await nextTask();
    expect(m.got).toEqual([[1, 3], [7]]);
    expect(feed.since({ epoch: "e1", n: 3, key: "k" })).toEqual([]);
    expect(feed.since({ epoch: "e2", n: 6, key: "k" })?.map((f) => f.n)).toEqual([7]);
  });

  it("hands nothing to a member that left", async () => {
    const feed = new SharedFeed();
    const m = recorder();
    feed.join(m);
    feed.receive(frame(1));
    feed.leave(m);
    await nextTask();
    expect(m.got).toEqual([]);
  });
});
