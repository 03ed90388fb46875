import { eventually } from '@fireiot/testing';
import { Client } from 'pg';
import { Gb26875Server } from './gb26875.server';
import {
  delay,
  expectNothingLost,
  fireAlarmAdu,
  GatewayDatabase,
  normalStateAdu,
  quarantinedFromPeer,
  rawFrames,
  RawClient,
  Resources,
  sendAndConfirm,
  startGatewayDatabase,
  upload,
} from './gateway-harness.test-util';

jest.setTimeout(30_000);

/**
 * The server's limits and lifecycle (issue 3): a per-IP connect rate, a cap on connections,
 * slow-loris and idle peers, storage backpressure and the graceful stop. In every case the
 * devices already served keep their confirms and nothing already received is lost.
 */
describe(Gb26875Server.name, () => {
  let ctx: GatewayDatabase;
  const res = new Resources();

  beforeAll(async () => {
    ctx = await startGatewayDatabase();
  });
  afterEach(() => res.release());
  afterAll(() => ctx.close());

  /** Holds an exclusive lock on raw_frames (as the owner) until released: storage stalls. */
  async function stallRawFrames(): Promise<{ release(): Promise<void> }> {
    const owner = new Client({ connectionString: ctx.db.ownerUrl });
    await owner.connect();
    await owner.query('BEGIN');
    await owner.query('LOCK TABLE raw_frames IN EXCLUSIVE MODE');
    let released: Promise<void> | null = null;
    return {
      release() {
        released ??= owner.query('COMMIT').then(() => owner.end());
        return released;
      },
    };
  }

  it('closes excess connections from one IP at once (connect rate), while an established device keeps its confirms', async () => {
    const gw = await res.gateway(ctx, {
      env: { FIREIOT_GB26875_CONNECT_RATE_PER_IP: '3' },
      server: { exemptLoopbackFromRate: false },
    });
    const device = await res.client(gw);
    const first = upload('4001', 1);
    await sendAndConfirm(device, first, 1);

    const flood = await Promise.all(Array.from({ length: 12 }, () => res.client(gw)));
    const closed = await Promise.all(flood.map((c) => c.closesWithin(1000)));
    expect(closed.filter((c) => c)).toHaveLength(10); // 3 tokens: the device's and two of the flood
    expect(flood.every((c) => c.replies.length === 0)).toBe(true);
    expect(gw.server.stats()).toMatchObject({ accepted: 3, refusedRate: 10 });

    const during = upload('4001', 2, fireAlarmAdu());
    await sendAndConfirm(device, during, 2);
    // The accepted ones are served normally.
    const accepted = flood.filter((c) => c.isOpen);
    expect(accepted).toHaveLength(2);
    await sendAndConfirm(accepted[0] as RawClient, upload('4002', 1), 1);
    await expectNothingLost(ctx, 'uitd:4001', [first, during]);
  });

  it('exempts loopback peers from the connect rate by default', async () => {
    const gw = await res.gateway(ctx, { env: { FIREIOT_GB26875_CONNECT_RATE_PER_IP: '1' } });
    const clients = await Promise.all(Array.from({ length: 5 }, () => res.client(gw)));
    await Promise.all(clients.map((c, n) => sendAndConfirm(c, upload(String(4010 + n), 1), 1)));
    expect(gw.server.stats()).toMatchObject({ accepted: 5, refusedRate: 0 });
  });

  it('closes connections beyond the cap at once, and accepts again once one has gone', async () => {
    const gw = await res.gateway(ctx, { env: { FIREIOT_GB26875_MAX_CONNECTIONS: '3' } });
    const device = await res.client(gw);
    await sendAndConfirm(device, upload('4020', 1), 1);
    const others = [await res.client(gw), await res.client(gw)];
    await eventually(() => gw.server.stats().connections === 3);

    const excess = [await res.client(gw), await res.client(gw)];
    expect(await Promise.all(excess.map((c) => c.closesWithin(1000)))).toEqual([true, true]);
    expect(gw.server.stats()).toMatchObject({ connections: 3, refusedOverCapacity: 2 });
    await sendAndConfirm(device, upload('4020', 2), 2);

    others[0]?.end();
    await eventually(() => gw.server.stats().connections === 2);
    const later = await res.client(gw);
    await sendAndConfirm(later, upload('4021', 1), 1);
    expect(later.isOpen).toBe(true);
    await expectNothingLost(ctx, 'uitd:4020', [upload('4020', 1), upload('4020', 2)]);
  });

  it('gives up the partial frame of a slow-loris peer (quarantined, denied) while other devices are served', async () => {
    const gw = await res.gateway(ctx, { server: { partialFrameTimeoutMs: 300, resyncAfterMs: 1000 } });
    const device = await res.client(gw);
    const loris = await res.client(gw);
    const first = upload('4030', 1);
    await sendAndConfirm(device, first, 1);

    const slow = upload('4031', 7, fireAlarmAdu());
    const started = performance.now();
    let served = 0;
    await loris.send(slow.subarray(0, 30)); // the header, then the rest byte by byte
    for (let i = 30; i < slow.length; i++) {
      await loris.send(slow.subarray(i, i + 1));
      await delay(10); // the whole frame takes > 480 ms: longer than the partial-frame timeout
      if (i % 10 === 0) await sendAndConfirm(device, upload('4030', 100 + ++served), 100 + served);
    }
    expect(performance.now() - started).toBeGreaterThan(450);

    const deny = await loris.reply(7, 6);
    const deniedAt = loris.replies.find((r) => r.frame === deny)?.at ?? 0;
    expect(deniedAt - started).toBeGreaterThanOrEqual(290); // the partial-frame timeout, not before
    expect(deny.destination.value).toBe('4031');
    const rows = await eventually(async () => {
      const all = await quarantinedFromPeer(ctx, loris.peer);
      return all.some((r) => r.reason_code === 'length-mismatch') && all;
    });
    expect(rows.find((r) => r.reason_code === 'length-mismatch')?.device_key).toBe('uitd:4031');
    expect(loris.matching((f) => f.command.code === 3)).toEqual([]);
    expect(await rawFrames(ctx, 'uitd:4031')).toEqual([]);
    await expectNothingLost(ctx, 'uitd:4030', [first]);
  });

  it('closes an idle peer after the idle timeout (presence: disconnected, idle timeout) and keeps what it sent', async () => {
    const gw = await res.gateway(ctx, { env: { FIREIOT_GB26875_IDLE_TIMEOUT_S: '1' } });
    const idle = await res.client(gw);
    const silent = await res.client(gw); // never sends a byte
    const sent = upload('4040', 1);
    await sendAndConfirm(idle, sent, 1);
    const quietFrom = performance.now();

    expect(await idle.closesWithin(3000)).toBe(true);
    const after = performance.now() - quietFrom;
    expect(after).toBeGreaterThanOrEqual(950);
    expect(await silent.closesWithin(1000)).toBe(true);
    const disconnected = await eventually(() => gw.log.presenceOf('uitd:4040', 'disconnected')[0]);
    expect(disconnected).toMatchObject({ reason: 'idle timeout', closedBy: 'platform' });
    expect(gw.server.stats().closedIdle).toBe(2);
    await expectNothingLost(ctx, 'uitd:4040', [sent]);
  });

  it('pauses device sockets while storage lags, and resumes them when it catches up: every frame confirmed once stored', async () => {
    const gw = await res.gateway(ctx, { server: { storageHighWater: 10, storageLowWater: 2 } });
    const client = await res.client(gw);
    await sendAndConfirm(client, upload('4050', 1000), 1000);

    const stall = await stallRawFrames();
    try {
      // The first frame's batch hangs on the lock; the burst behind it piles up in the store's queue.
      const stuck = upload('4050', 1);
      await client.send(stuck);
      await eventually(() => gw.ingest.stats().uploads === 2 && ctx.store.backlog === 1); // the stuck batch
      const frames = Array.from({ length: 40 }, (_, n) => upload('4050', n + 2, normalStateAdu(n)));
      await client.send(Buffer.concat(frames));
      await eventually(() => gw.server.stats().pausedForStorage);
      expect(ctx.store.backlog).toBeGreaterThanOrEqual(10);
      expect(client.matching((f) => f.serial !== 1000)).toEqual([]); // nothing confirmed before it is stored

      // Sent while paused: not read until storage catches up.
      const late = upload('4050', 42);
      await client.send(late);
      await delay(100);
      expect(gw.ingest.stats().uploads).toBe(42); // the first, the stuck one and the 40 of the burst
      await stall.release();

      await client.waitForCount((f) => f.command.code === 3, 43);
      expect(gw.ingest.stats().uploads).toBe(43);
      expect(gw.server.stats().pausedForStorage).toBe(false);
      await expectNothingLost(ctx, 'uitd:4050', [stuck, ...frames, late]);
    } finally {
      await stall.release();
    }
  });

  it('does not give up a partial frame held while its socket is paused (the rest waits unread, the peer is not quiet)', async () => {
    const gw = await res.gateway(ctx, { server: { storageHighWater: 10, storageLowWater: 2, resyncAfterMs: 150 } });
    const client = await res.client(gw);
    await sendAndConfirm(client, upload('4055', 1000), 1000);

    const stall = await stallRawFrames();
    const frames = Array.from({ length: 20 }, (_, n) => upload('4055', n + 2, normalStateAdu(n)));
    const split = upload('4055', 30, fireAlarmAdu());
    try {
      const stuck = upload('4055', 1);
      await client.send(stuck);
      await eventually(() => gw.ingest.stats().uploads === 2 && ctx.store.backlog === 1); // the stuck batch
      await client.send(Buffer.concat([...frames, split.subarray(0, 40)]));
      await eventually(() => gw.server.stats().pausedForStorage);
      await client.send(split.subarray(40));
      await delay(400); // well over resyncAfterMs, all of it paused
      frames.unshift(stuck);
    } finally {
      await stall.release();
    }

    await client.reply(30, 3);
    await client.waitForCount((f) => f.command.code === 3, 23);
    expect(client.matching((f) => f.command.code === 6)).toEqual([]);
    expect(await quarantinedFromPeer(ctx, client.peer)).toEqual([]);
    await expectNothingLost(ctx, 'uitd:4055', [...frames, split]);
  });

  it('stops gracefully: every frame already read is stored and confirmed before the sockets close', async () => {
    const gw = await res.gateway(ctx);
    const client = await res.client(gw);
    const frames = Array.from({ length: 30 }, (_, n) => upload('4060', n + 1, normalStateAdu(n)));

    const stall = await stallRawFrames();
    let stopped = false;
    let stopping: Promise<void> | undefined;
    try {
      await client.send(Buffer.concat(frames));
      await eventually(() => gw.ingest.stats().uploads === 30);
      stopping = gw.stop().then(() => void (stopped = true));
      await delay(100);
      expect(stopped).toBe(false);
      expect(client.isOpen).toBe(true);
      await expect(RawClient.connect(gw.port)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await stall.release();
    }
    const releasedAt = performance.now();
    await stopping;
    const stopMs = performance.now() - releasedAt;

    const { replies } = await client.closed;
    expect(replies).toBe(30);
    expect(client.matching((f) => f.command.code === 3).map((f) => f.serial)).toEqual(frames.map((_, n) => n + 1));
    await expectNothingLost(ctx, 'uitd:4060', frames);
    expect(stopMs).toBeLessThan(1000);
  });

  it('stops reading at stop(): a device that keeps sending neither holds the stop up nor gets a frame stored unconfirmed', async () => {
    const gw = await res.gateway(ctx, { server: { maxInFlightPerConnection: 4 } });
    const client = await res.client(gw);
    await sendAndConfirm(client, upload('4070', 1), 1);

    const stall = await stallRawFrames();
    let serial = 1;
    let sending = true;
    const sender = (async () => {
      while (sending && client.isOpen) {
        await client.send(upload('4070', ++serial)).catch(() => undefined);
        await delay(2);
      }
    })();
    let stopMs = Infinity;
    try {
      await eventually(() => gw.ingest.stats().uploads >= 5); // 4 in flight: the socket is paused
      const started = performance.now();
      const stopping = gw.stop().then(() => void (stopMs = performance.now() - started));
      await delay(100);
      await stall.release();
      await stopping;
    } finally {
      sending = false;
      await stall.release();
      await sender;
    }

    await client.closed;
    const confirmed = client.matching((f) => f.command.code === 3).map((f) => f.serial);
    const stored = (await rawFrames(ctx, 'uitd:4070')).map((r) => r.serial);
    expect(stored).toEqual(confirmed);
    expect(stored.length).toBeLessThan(serial);
    // Bounded: a socket left unread closes when its close timer cuts it off (2 s), not never.
    expect(stopMs).toBeLessThan(3500);
    await expectNothingLost(ctx, 'uitd:4070', []);
  });
});
