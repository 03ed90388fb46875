import { eventually } from '@fireiot/testing';
import { DeviceConnection } from './device-connection';
import {
  delay,
  expectNothingLost,
  fireAlarmAdu,
  frame,
  GatewayDatabase,
  overlongFrame,
  PLATFORM_ADDRESS,
  quarantined,
  quarantinedFromPeer,
  rawFrames,
  Resources,
  seededBytes,
  sendAndConfirm,
  startGatewayDatabase,
  upload,
  withBadChecksum,
  withByte,
} from './gateway-harness.test-util';

jest.setTimeout(30_000);

/**
 * Bad input on one connection (issue 3, "Bad input"): each gets a clear rejection (a deny when
 * the header can be read), is recorded in quarantine, and loses nothing already received; the
 * connection keeps working for the frames that follow.
 */
describe(DeviceConnection.name, () => {
  let ctx: GatewayDatabase;
  const res = new Resources();

  beforeAll(async () => {
    ctx = await startGatewayDatabase();
  });
  afterEach(() => res.release());
  afterAll(() => ctx.close());

  it('denies a frame with a wrong checksum (command 6, serial echoed) and quarantines it as bad-checksum', async () => {
    const gw = await res.gateway(ctx);
    const client = await res.client(gw);
    const good = upload('3001', 10);
    await sendAndConfirm(client, good, 10);

    const bad = withBadChecksum(upload('3001', 11, fireAlarmAdu()));
    await client.send(bad);
    const deny = await client.reply(11, 6);
    const rows = await quarantined(ctx, 'uitd:3001', 'bad-checksum');

    expect(deny).toMatchObject({
      serial: 11,
      command: { code: 6, name: 'deny' },
      source: { value: PLATFORM_ADDRESS },
      destination: { value: '3001' },
      adu: null,
    });
    expect(rows).toHaveLength(1); // stored before the deny was sent
    expect(rows[0]?.bytes.equals(bad)).toBe(true);
    expect(rows[0]?.peer).toBe(client.peer);
    expect(client.matching((f) => f.serial === 11 && f.command.code === 3)).toEqual([]);

    const after = upload('3001', 12);
    await sendAndConfirm(client, after, 12);
    expect((await rawFrames(ctx, 'uitd:3001')).map((r) => r.serial)).toEqual([10, 12]);
    await expectNothingLost(ctx, 'uitd:3001', [good, after]);
  });

  it('denies and quarantines an ADU longer than 1024 bytes (adu-too-long), then reads on', async () => {
    const gw = await res.gateway(ctx);
    const client = await res.client(gw);
    const good = upload('3002', 1);
    await sendAndConfirm(client, good, 1);

    const long = overlongFrame('3002', 2, 1100);
    const after = upload('3002', 3);
    await client.send(Buffer.concat([long, after]));
    const deny = await client.reply(2, 6);
    await client.reply(3, 3);

    expect(deny.destination.value).toBe('3002');
    const [row] = await quarantined(ctx, 'uitd:3002', 'adu-too-long');
    expect(row?.reason).toMatch(/1100 exceeds 1024/);
    // The header is the evidence; the 1100 bytes behind it are kept as garbage of the peer.
    expect(row?.bytes.equals(long.subarray(0, 26))).toBe(true);
    const garbage = await eventually(async () => {
      const rows = (await quarantinedFromPeer(ctx, client.peer)).filter((r) => r.reason_code === 'garbage');
      return rows.length > 0 && rows;
    });
    expect(garbage.every((r) => r.device_key === 'peer:127.0.0.1')).toBe(true);
    expect(garbage.reduce((n, r) => n + r.bytes.length, 0)).toBe(long.length - 1);
    await expectNothingLost(ctx, 'uitd:3002', [good, after]);
  });

  it('denies and quarantines the real over-long frame FM-14 (ADU length 12336 in ASCII digits)', async () => {
    // gb26875-vectors.public.json, FM-14 (ruiyinchen/FireMaster): serial 2 from 65535, "0033" as length.
    const fm14 = Buffer.from('404002000101091F100E0313FFFF00000000010000000000303033F22323', 'hex');
    const gw = await res.gateway(ctx);
    const client = await res.client(gw);
    await client.send(fm14);

    const deny = await client.reply(2, 6);
    expect(deny).toMatchObject({ source: { value: '1' }, destination: { value: '65535' } });
    expect(await quarantined(ctx, 'uitd:65535', 'adu-too-long')).toHaveLength(1);
  });

  it('denies a well-framed frame whose command or content is invalid (quarantined with the codec reason)', async () => {
    const gw = await res.gateway(ctx);
    const client = await res.client(gw);
    const reserved = withByte(frame({ serial: 21, source: '3003', adu: null }), 26, 7); // command 7 is reserved

    await client.send(reserved);
    await client.reply(21, 6);
    expect(await quarantined(ctx, 'uitd:3003', 'unknown-command')).toHaveLength(1);
    await sendAndConfirm(client, upload('3003', 22), 22);
  });

  it('gives up a truncated frame after the resync delay: quarantined as length-mismatch and denied; the connection reads on', async () => {
    const gw = await res.gateway(ctx, { server: { resyncAfterMs: 200 } });
    const client = await res.client(gw);
    const good = upload('3004', 30);
    await sendAndConfirm(client, good, 30);

    const whole = upload('3004', 31, fireAlarmAdu());
    const part = whole.subarray(0, 40);
    const sentAt = performance.now();
    await client.send(part);
    const deny = await client.reply(31, 6);
    const waited = performance.now() - sentAt;

    expect(waited).toBeGreaterThanOrEqual(190);
    expect(deny.destination.value).toBe('3004');
    const [row] = await quarantined(ctx, 'uitd:3004', 'length-mismatch');
    expect(row?.bytes.equals(part)).toBe(true);
    expect(row?.reason).toContain(`40 of ${whole.length} bytes`);

    const after = upload('3004', 32);
    await sendAndConfirm(client, after, 32);
    await expectNothingLost(ctx, 'uitd:3004', [good, after]);
  });

  it('quarantines a fragment too short to show a header as garbage of the peer (nothing to deny)', async () => {
    const gw = await res.gateway(ctx, { server: { resyncAfterMs: 100 } });
    const client = await res.client(gw);
    const fragment = upload('3008', 40).subarray(0, 12);
    await client.send(fragment);

    const rows = await eventually(async () => {
      const found = await quarantinedFromPeer(ctx, client.peer);
      return found.reduce((n, r) => n + r.bytes.length, 0) === fragment.length && found;
    });
    expect(rows.every((r) => r.reason_code === 'garbage' && r.device_key === 'peer:127.0.0.1')).toBe(true);
    expect(Buffer.concat(rows.map((r) => r.bytes)).equals(fragment)).toBe(true);
    await sendAndConfirm(client, upload('3008', 41), 41);
    expect(client.matching((f) => f.command.code === 6)).toEqual([]);
  });

  it('quarantines a garbage stream (with fake "@@") under peer:<ip>, and confirms the valid frame behind it', async () => {
    const gw = await res.gateway(ctx);
    const device = await res.client(gw);
    const noise = await res.client(gw);
    const good = upload('3005', 1);
    await sendAndConfirm(noise, good, 1);

    const garbage = seededBytes(26875, 20_000);
    for (let at = 100; at < garbage.length - 30; at += 397) garbage.write('@@', at, 'latin1');
    const behind = upload('3005', 2, fireAlarmAdu());
    await noise.send(Buffer.concat([garbage, behind]));
    // Meanwhile another device on another connection is served as usual.
    await sendAndConfirm(device, upload('3006', 1), 1);

    await noise.reply(2, 3);
    const rows = await quarantinedFromPeer(ctx, noise.peer);
    const garbageRows = rows.filter((r) => r.reason_code === 'garbage');
    expect(garbageRows.length).toBeGreaterThan(0);
    expect(garbageRows.every((r) => r.device_key === 'peer:127.0.0.1')).toBe(true);
    // Fake "@@" headers are framing errors: quarantined with their reason (and denied).
    expect(rows.some((r) => ['adu-too-long', 'bad-end', 'bad-checksum'].includes(r.reason_code))).toBe(true);
    expect(noise.isOpen).toBe(true);
    await sendAndConfirm(noise, upload('3005', 3), 3);
    await sendAndConfirm(device, upload('3006', 2), 2);
    await expectNothingLost(ctx, 'uitd:3005', [good, behind, upload('3005', 3)]);
  });

  it('keeps at most 64 KiB of a garbage flood per connection, and counts the rest', async () => {
    const gw = await res.gateway(ctx);
    const client = await res.client(gw);
    const flood = Buffer.alloc(300_000, 0x55); // no "@" at all
    await client.send(flood);
    await sendAndConfirm(client, upload('3007', 1), 1);

    await eventually(() => gw.ingest.stats().garbageBytes >= flood.length);
    const rows = await quarantinedFromPeer(ctx, client.peer);
    const kept = rows.reduce((n, r) => n + r.bytes.length, 0);
    expect(kept).toBe(64 * 1024);
    expect(rows.every((r) => r.reason_code === 'garbage' && r.device_key === 'peer:127.0.0.1')).toBe(true);
  });

  it('denies a frame carrying another device’s address on a bound connection (address-mismatch), and still confirms its own', async () => {
    const gw = await res.gateway(ctx);
    const client = await res.client(gw);
    const own = upload('3010', 1);
    await sendAndConfirm(client, own, 1);

    const spoofed = upload('3011', 2, fireAlarmAdu());
    await client.send(spoofed);
    const deny = await client.reply(2, 6);
    expect(deny.destination.value).toBe('3011');

    const rows = (await quarantinedFromPeer(ctx, client.peer)).filter((r) => r.reason_code === 'address-mismatch');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.bytes.equals(spoofed)).toBe(true);
    expect(rows[0]?.reason).toMatch(/3011.*3010/);
    expect(await rawFrames(ctx, 'uitd:3011')).toEqual([]);
    expect(gw.log.uploadsOf('uitd:3011')).toEqual([]);

    const after = upload('3010', 3);
    await sendAndConfirm(client, after, 3);
    await expectNothingLost(ctx, 'uitd:3010', [own, after]);
    expect(gw.downlinks.isConnected('uitd:3011')).toBe(false);
  });

  it('reassembles frames from any chunking (one byte per write)', async () => {
    const gw = await res.gateway(ctx);
    const client = await res.client(gw);
    const bytes = Buffer.concat([upload('3020', 1), upload('3020', 2, fireAlarmAdu())]);
    for (const byte of bytes) {
      await client.send(Buffer.from([byte]));
      await delay(1);
    }
    await client.waitForCount((f) => f.command.code === 3, 2);
    expect((await rawFrames(ctx, 'uitd:3020')).map((r) => r.serial)).toEqual([1, 2]);
  });

  it('never gives up a frame of a busy connection whose chunks all end mid-frame', async () => {
    // A continuous stream: each write is the tail of one frame and the head of the next, so a
    // partial frame is held after every chunk, but each one completes within milliseconds. The
    // stream (60 × 20 ms) lasts three times the partial-frame timeout; the timeout is still long
    // enough that a loaded machine's stall between two writes does not expire a frame.
    const gw = await res.gateway(ctx, { server: { partialFrameTimeoutMs: 400, resyncAfterMs: 2000 } });
    const client = await res.client(gw);
    const frames = Array.from({ length: 60 }, (_, n) => upload('3021', n + 1, fireAlarmAdu(n)));
    const stream = Buffer.concat(frames);
    const size = frames[0]?.length ?? 0;
    let at = 0;
    for (let n = 0; n < frames.length; n++) {
      const to = n === frames.length - 1 ? stream.length : (n + 1) * size + Math.floor(size / 2);
      await client.send(stream.subarray(at, to));
      at = to;
      await delay(20);
    }
    await client.waitForCount((f) => f.command.code === 3, 60, 15_000);
    expect(client.matching((f) => f.command.code === 6)).toEqual([]);
    expect(await quarantinedFromPeer(ctx, client.peer)).toEqual([]);
    await expectNothingLost(ctx, 'uitd:3021', frames);
  });
});
