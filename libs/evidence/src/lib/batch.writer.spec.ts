import { Logger } from '@nestjs/common';
import { BatchWriter } from './batch.writer';

/** A write the test completes by hand, recording every batch it was given. */
class ControlledWrite<T> {
  readonly batches: T[][] = [];
  private readonly pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  readonly write = (items: readonly T[]): Promise<void> => {
    this.batches.push([...items]);
    return new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject }));
  };

  get waiting(): number {
    return this.pending.length;
  }

  commit(): void {
    this.next().resolve();
  }

  fail(error: unknown): void {
    this.next().reject(error);
  }

  private next(): { resolve: () => void; reject: (e: unknown) => void } {
    const p = this.pending.shift();
    if (p === undefined) throw new Error('no write in flight');
    return p;
  }
}

/** Tracks whether a promise has settled, without awaiting it. */
function track(promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error: unknown } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; error: unknown } = { state: 'pending', error: null };
  promise.then(
    () => (t.state = 'resolved'),
    (error: unknown) => {
      t.state = 'rejected';
      t.error = error;
    },
  );
  return t;
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await tick(1);
  }
}

describe(BatchWriter.name, () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });

  it('writes the items added within the window together, in order (group commit)', async () => {
    const w = new ControlledWrite<number>();
    const writer = new BatchWriter('t', w.write, { batchMs: 20 });
    const added = [1, 2, 3].map((n) => writer.add(n));
    await until(() => w.batches.length === 1);
    expect(w.batches).toEqual([[1, 2, 3]]);
    w.commit();
    await Promise.all(added);
    expect(w.batches).toHaveLength(1);
  });

  it('resolves `add` only after its batch was written', async () => {
    const w = new ControlledWrite<string>();
    const writer = new BatchWriter('t', w.write, { batchMs: 1 });
    const a = track(writer.add('a'));
    await until(() => w.waiting === 1);
    await tick(5);
    expect(a.state).toBe('pending');
    w.commit();
    await until(() => a.state !== 'pending');
    expect(a.state).toBe('resolved');
  });

  it('keeps one batch in flight; items added meanwhile form the next batch', async () => {
    const w = new ControlledWrite<number>();
    const writer = new BatchWriter('t', w.write, { batchMs: 1 });
    const first = writer.add(1);
    await until(() => w.waiting === 1);
    const later = [writer.add(2), writer.add(3)];
    await tick(10);
    expect(w.batches).toEqual([[1]]);
    w.commit();
    await first;
    await until(() => w.waiting === 1);
    expect(w.batches).toEqual([[1], [2, 3]]);
    w.commit();
    await Promise.all(later);
  });

  it('rejects the items of a failing write with its error, and still writes the next batch', async () => {
    const w = new ControlledWrite<number>();
    const writer = new BatchWriter('t', w.write, { batchMs: 1 });
    const failing = [track(writer.add(1)), track(writer.add(2))];
    await until(() => w.waiting === 1);
    const error = new Error('connection reset');
    w.fail(error);
    await until(() => failing.every((f) => f.state !== 'pending'));
    expect(failing.map((f) => [f.state, f.error])).toEqual([
      ['rejected', error],
      ['rejected', error],
    ]);
    const next = writer.add(3);
    await until(() => w.waiting === 1);
    w.commit();
    await expect(next).resolves.toBeUndefined();
    expect(w.batches).toEqual([[1, 2], [3]]);
    expect(writer.backlog).toBe(0);
  });

  it('runs the items queued behind a failing batch', async () => {
    const w = new ControlledWrite<number>();
    const writer = new BatchWriter('t', w.write, { batchMs: 1 });
    const failing = track(writer.add(1));
    await until(() => w.waiting === 1);
    const behind = writer.add(2);
    w.fail(new Error('deadlock detected'));
    await until(() => w.waiting === 1);
    w.commit();
    await expect(behind).resolves.toBeUndefined();
    expect(failing.state).toBe('rejected');
  });

  it('writes at once on `flush`, without waiting for the window, and drains everything', async () => {
    const written: number[][] = [];
    const writer = new BatchWriter<number>(
      't',
      async (items) => {
        written.push([...items]);
      },
      { batchMs: 60_000, maxBatch: 4 },
    );
    const added = Array.from({ length: 10 }, (_, n) => writer.add(n));
    expect(writer.backlog).toBe(10);
    const started = Date.now();
    await writer.flush();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(writer.backlog).toBe(0);
    expect(written).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    await Promise.all(added);
  });

  it('waits in `flush` for the batch in flight and for what was queued behind it', async () => {
    const w = new ControlledWrite<number>();
    const writer = new BatchWriter('t', w.write, { batchMs: 1 });
    const first = writer.add(1);
    await until(() => w.waiting === 1);
    const second = writer.add(2);
    const flushed = track(writer.flush());
    await tick(5);
    expect(flushed.state).toBe('pending');
    w.commit();
    await until(() => w.waiting === 1);
    expect(flushed.state).toBe('pending');
    w.commit();
    await until(() => flushed.state !== 'pending');
    expect(flushed.state).toBe('resolved');
    await Promise.all([first, second]);
    expect(w.batches).toEqual([[1], [2]]);
  });

  it('resolves `flush` when a batch fails (the items carry the error)', async () => {
    const writer = new BatchWriter<number>('t', () => Promise.reject(new Error('disk full')), { batchMs: 60_000 });
    const item = track(writer.add(1));
    await expect(writer.flush()).resolves.toBeUndefined();
    await until(() => item.state !== 'pending');
    expect(item.state).toBe('rejected');
    expect(writer.backlog).toBe(0);
  });

  it('resolves `flush` at once when nothing is queued', async () => {
    const writer = new BatchWriter<number>('t', () => Promise.reject(new Error('never called')));
    await expect(writer.flush()).resolves.toBeUndefined();
  });

  it('counts queued and in-flight items in `backlog`', async () => {
    const w = new ControlledWrite<number>();
    const writer = new BatchWriter('t', w.write, { batchMs: 1 });
    expect(writer.backlog).toBe(0);
    const first = [writer.add(1), writer.add(2), writer.add(3)];
    expect(writer.backlog).toBe(3);
    await until(() => w.waiting === 1);
    expect(writer.backlog).toBe(3); // in flight
    const second = [writer.add(4), writer.add(5)];
    expect(writer.backlog).toBe(5);
    w.commit();
    await Promise.all(first);
    await until(() => w.waiting === 1);
    expect(writer.backlog).toBe(2);
    w.commit();
    await Promise.all(second);
    expect(writer.backlog).toBe(0);
  });

  it('splits a burst into batches of at most `maxBatch`', async () => {
    const sizes: number[] = [];
    const writer = new BatchWriter<number>(
      't',
      async (items) => {
        sizes.push(items.length);
      },
      { batchMs: 1, maxBatch: 100 },
    );
    await Promise.all(Array.from({ length: 250 }, (_, n) => writer.add(n)));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(250);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
  });

  it('writes without waiting when `batchMs` is 0', async () => {
    const w = new ControlledWrite<number>();
    const writer = new BatchWriter('t', w.write, { batchMs: 0 });
    const a = writer.add(1);
    await Promise.resolve();
    expect(w.batches).toEqual([[1]]);
    w.commit();
    await a;
  });
});
