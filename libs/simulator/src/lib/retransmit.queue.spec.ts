import { type Expiring, RetransmitQueue } from './retransmit.queue';

class Entry implements Expiring {
  settled = false;
  expired: number[] = [];
  deadline = 0;
  expire(deadline: number): void {
    this.expired.push(deadline);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(RetransmitQueue.name, () => {
  it('expires unsettled entries after the timeout, drops settled ones, and stops its timer when empty', async () => {
    const q = new RetransmitQueue(50);
    const a = new Entry();
    const b = new Entry();
    a.deadline = q.push(a);
    b.deadline = q.push(b);
    b.settled = true;
    await sleep(30);
    expect(a.expired).toEqual([]);
    await sleep(60);
    expect(a.expired).toEqual([a.deadline]);
    expect(b.expired).toEqual([]);
    expect(q.size).toBe(0);
  });

  it('clear() forgets everything', async () => {
    const q = new RetransmitQueue(20);
    const a = new Entry();
    q.push(a);
    q.clear();
    await sleep(50);
    expect(a.expired).toEqual([]);
  });
});
