import { eventually } from '@fireiot/testing';
import { decodeFrame } from '@fireiot/gb26875';
import { FrameIngestService } from './frame-ingest.service';
import {
  delay,
  expectNothingLost,
  fireAlarmAdu,
  frame,
  GatewayDatabase,
  normalStateAdu,
  PLATFORM_ADDRESS,
  rawFrames,
  Resources,
  sendAndConfirm,
  startGatewayDatabase,
  uitdStateAdu,
  upload,
} from './gateway-harness.test-util';

jest.setTimeout(30_000);

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

describe(FrameIngestService.name, () => {
  let ctx: GatewayDatabase;
  const res = new Resources();

  beforeAll(async () => {
    ctx = await startGatewayDatabase();
  });
  afterEach(() => res.release());
  afterAll(() => ctx.close());

  describe('a valid upload', () => {
    it('is confirmed (command 3, serial echoed, addresses swapped) only once its row is in raw_frames', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const bytes = upload('889', 0x1234, fireAlarmAdu());

      const confirm = await sendAndConfirm(client, bytes, 0x1234);
      const rows = await rawFrames(ctx, 'uitd:889'); // right after the confirm arrived

      expect(confirm).toMatchObject({
        serial: 0x1234,
        command: { code: 3, name: 'confirm' },
        source: { value: PLATFORM_ADDRESS },
        destination: { value: '889' },
        adu: null,
      });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        serial: 0x1234,
        command: 2,
        adu_type: 2,
        peer: client.peer,
        gateway_id: 'gw-test',
      });
      expect(rows[0]?.bytes.equals(bytes)).toBe(true);
    });

    it('is published after it is stored: rawId of its row, deviceKey uitd:<address>, receivedAt in µs', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const before = new Date().toISOString();
      await sendAndConfirm(client, upload('890', 7, normalStateAdu()), 7);
      const after = new Date().toISOString();

      const [message] = await eventually(() => gw.log.uploadsOf('uitd:890').length > 0 && gw.log.uploadsOf('uitd:890'));
      const [row] = await rawFrames(ctx, 'uitd:890');
      expect(message).toMatchObject({
        rawId: row?.id,
        deviceKey: 'uitd:890',
        deviceId: null,
        gatewayId: 'gw-test',
        frame: { serial: 7, source: { value: '890' }, command: { code: 2 }, adu: { type: { code: 2 } } },
      });
      const receivedAt = message?.receivedAt ?? '';
      expect(receivedAt).toMatch(ISO_MICROS);
      expect(receivedAt).toBe(row?.received_at);
      // The receive time lies between the send and the confirm (ms comparison of ISO strings).
      expect(receivedAt.slice(0, 23) >= before.slice(0, 23)).toBe(true);
      expect(receivedAt.slice(0, 23) <= after.slice(0, 23)).toBe(true);
      // The published frame is the decoded JSON of the stored bytes.
      const decoded = decodeFrame(row?.bytes ?? Buffer.alloc(0));
      expect(decoded.ok && decoded.frame).toEqual(message?.frame);
    });

    it('goes to the fire-alarm lane when it reports a fire alarm, to the frames topic otherwise', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      await sendAndConfirm(client, upload('891', 1, fireAlarmAdu()), 1);
      await sendAndConfirm(client, upload('891', 2, normalStateAdu()), 2);

      await eventually(() => gw.log.uploadsOf('uitd:891').length === 2);
      expect(gw.log.fireAlarms.filter((m) => m.deviceKey === 'uitd:891').map((m) => m.frame.serial)).toEqual([1]);
      expect(gw.log.frames.filter((m) => m.deviceKey === 'uitd:891').map((m) => m.frame.serial)).toEqual([2]);
      const [alarm] = gw.log.fireAlarms;
      expect(alarm?.frame.adu?.objects[0]).toMatchObject({ state: { flags: ['fire-alarm'] } });
    });

    it('keeps the order of a burst of uploads in one chunk, each confirmed and chained', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const burst = Array.from({ length: 50 }, (_, n) => upload('892', n + 1, normalStateAdu(n)));
      await client.send(Buffer.concat(burst));

      await client.waitForCount((f) => f.command.code === 3, 50);
      const rows = await rawFrames(ctx, 'uitd:892');
      expect(rows.map((r) => r.serial)).toEqual(Array.from({ length: 50 }, (_, n) => n + 1));
      await expectNothingLost(ctx, 'uitd:892', burst);
    });
  });

  describe('a retransmission', () => {
    it('(same bytes, same serial, within the window) is confirmed again, stored and published once', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const bytes = upload('900', 42, normalStateAdu());

      await sendAndConfirm(client, bytes, 42);
      await client.send(bytes);
      await client.waitForCount((f) => f.serial === 42 && f.command.code === 3, 2);

      expect(await rawFrames(ctx, 'uitd:900')).toHaveLength(1);
      expect(gw.ingest.stats()).toMatchObject({ uploads: 1, retransmissions: 1, confirmed: 2 });
      await eventually(() => gw.log.uploadsOf('uitd:900').length === 1);
      // Give a wrongly doubled publication the chance to show up.
      await sendAndConfirm(client, upload('900', 43), 43);
      await eventually(() => gw.log.uploadsOf('uitd:900').length === 2);
      expect(gw.log.uploadsOf('uitd:900').map((m) => m.frame.serial)).toEqual([42, 43]);
    });

    it('sent back to back before the first copy is stored is confirmed twice and stored once', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const bytes = upload('901', 9);

      await client.send(Buffer.concat([bytes, bytes]));
      await client.waitForCount((f) => f.serial === 9 && f.command.code === 3, 2);

      expect(await rawFrames(ctx, 'uitd:901')).toHaveLength(1);
    });

    it('on a new connection after a reconnect is recognised too (the window is per device, not per connection)', async () => {
      const gw = await res.gateway(ctx);
      const before = await res.client(gw);
      const bytes = upload('903', 77, fireAlarmAdu());
      await sendAndConfirm(before, bytes, 77);
      before.destroy();

      const after = await res.client(gw);
      await sendAndConfirm(after, bytes, 77);
      expect(await rawFrames(ctx, 'uitd:903')).toHaveLength(1);
      await eventually(() => gw.log.fireAlarms.some((m) => m.deviceKey === 'uitd:903'));
      await sendAndConfirm(after, upload('903', 78), 78);
      await eventually(() => gw.log.uploadsOf('uitd:903').length === 2);
    });

    it('outside the window is a new upload (FIREIOT_GB26875_RETRANSMIT_WINDOW_S)', async () => {
      const gw = await res.gateway(ctx, { env: { FIREIOT_GB26875_RETRANSMIT_WINDOW_S: '1' } });
      const client = await res.client(gw);
      const bytes = upload('904', 3);
      await sendAndConfirm(client, bytes, 3);
      await delay(1100);
      await client.send(bytes);
      await client.waitForCount((f) => f.serial === 3 && f.command.code === 3, 2);

      expect(await rawFrames(ctx, 'uitd:904')).toHaveLength(2);
      expect(gw.ingest.stats()).toMatchObject({ uploads: 2, retransmissions: 0 });
    });

    it('of an upload that could not be stored (so was not confirmed) is stored and confirmed', async () => {
      await ctx.db.sql(`CREATE OR REPLACE FUNCTION test_refuse_serial_666() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.serial = 666 THEN RAISE EXCEPTION 'storage failure (test)'; END IF; RETURN NEW; END $$`);
      await ctx.db.sql(
        'CREATE TRIGGER test_refuse BEFORE INSERT ON raw_frames FOR EACH ROW EXECUTE FUNCTION test_refuse_serial_666()',
      );
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const bytes = upload('905', 666);
      try {
        await client.send(bytes);
        await eventually(() => gw.ingest.stats().storeFailures === 1);
        await delay(50);
        expect(client.replies).toEqual([]); // not stored: not confirmed
      } finally {
        await ctx.db.sql('DROP TRIGGER test_refuse ON raw_frames');
      }

      await sendAndConfirm(client, bytes, 666);
      expect(await rawFrames(ctx, 'uitd:905')).toHaveLength(1);
      await eventually(() => gw.log.uploadsOf('uitd:905').length === 1);
      await expectNothingLost(ctx, 'uitd:905', [bytes]);
    });

    it('waiting on a first copy whose storage fails is stored itself, and confirmed', async () => {
      await ctx.db.sql('CREATE SEQUENCE test_first_try');
      // Fails the first attempt only (a sequence is not rolled back with the failed batch).
      await ctx.db.sql(`CREATE OR REPLACE FUNCTION test_refuse_first_667() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER AS $$
        BEGIN IF NEW.serial = 667 AND nextval('test_first_try') = 1 THEN RAISE EXCEPTION 'storage failure (test)'; END IF;
        RETURN NEW; END $$`);
      await ctx.db.sql(
        'CREATE TRIGGER test_refuse_first BEFORE INSERT ON raw_frames FOR EACH ROW EXECUTE FUNCTION test_refuse_first_667()',
      );
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const bytes = upload('906', 667);
      try {
        await client.send(Buffer.concat([bytes, bytes])); // the copy waits on the first one's commit
        await client.reply(667, 3);
      } finally {
        await ctx.db.sql('DROP TRIGGER test_refuse_first ON raw_frames');
      }

      expect(gw.ingest.stats()).toMatchObject({ storeFailures: 1, retransmissions: 1 });
      expect(await rawFrames(ctx, 'uitd:906')).toHaveLength(1);
      await expectNothingLost(ctx, 'uitd:906', [bytes]);
    });

    it('with the same serial but different bytes is a new upload: stored and published', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const first = upload('902', 5, normalStateAdu(1));
      const second = upload('902', 5, fireAlarmAdu(2));

      await sendAndConfirm(client, first, 5);
      await client.send(second);
      await client.waitForCount((f) => f.serial === 5 && f.command.code === 3, 2);

      const rows = await rawFrames(ctx, 'uitd:902');
      expect(rows.map((r) => r.bytes.toString('hex'))).toEqual([first.toString('hex'), second.toString('hex')]);
      await eventually(() => gw.log.uploadsOf('uitd:902').length === 2);
      expect(gw.ingest.stats().retransmissions).toBe(0);
    });
  });

  describe('the device registry', () => {
    it('keeps the data of an unknown device, flagged: registered = false, deviceId null', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      await sendAndConfirm(client, upload('910', 1), 1);

      const [row] = await rawFrames(ctx, 'uitd:910');
      expect(row?.registered).toBe(false);
      const [message] = await eventually(() => gw.log.uploadsOf('uitd:910').length > 0 && gw.log.uploadsOf('uitd:910'));
      expect(message?.deviceId).toBeNull();
      const connected = await eventually(() => gw.log.presenceOf('uitd:910', 'connected')[0]);
      expect(connected.deviceId).toBeNull();
    });

    it('recognises a registered device: registered = true and its id on the bus', async () => {
      const [device] = await ctx.db.sql<{ id: string }>(
        "INSERT INTO devices (device_key, kind) VALUES ('uitd:911', 'uitd') RETURNING id::text",
      );
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      await sendAndConfirm(client, upload('911', 1, fireAlarmAdu()), 1);
      await sendAndConfirm(client, upload('911', 2, uitdStateAdu()), 2);

      const rows = await rawFrames(ctx, 'uitd:911');
      expect(rows.map((r) => r.registered)).toEqual([true, true]);
      const messages = await eventually(
        () => gw.log.uploadsOf('uitd:911').length === 2 && gw.log.uploadsOf('uitd:911'),
      );
      expect(messages.map((m) => m.deviceId)).toEqual([device?.id, device?.id]);
      const heartbeat = await eventually(() => gw.log.presenceOf('uitd:911', 'heartbeat')[0]);
      expect(heartbeat.deviceId).toBe(device?.id);
      expect(gw.log.presenceOf('uitd:911', 'connected')[0]?.deviceId).toBe(device?.id);
    });
  });

  describe('heartbeats and presence', () => {
    async function lastSeen(key: string): Promise<string | undefined> {
      const [row] = await ctx.db.sql<{ last_seen_at: string }>(
        `SELECT to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_seen_at
           FROM device_presence WHERE device_key = $1`,
        [key],
      );
      return row?.last_seen_at;
    }

    it('an empty command-2 frame updates last_seen_at and publishes a heartbeat', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      const bytes = upload('920', 1, null);
      expect(decodeFrame(bytes)).toMatchObject({ ok: true, frame: { command: { code: 2 }, adu: null } });

      await sendAndConfirm(client, bytes, 1);
      await gw.presence.flush();

      const [row] = await rawFrames(ctx, 'uitd:920');
      expect(row).toMatchObject({ command: 2, adu_type: null });
      expect(await lastSeen('uitd:920')).toBe(row?.received_at);
      const heartbeat = await eventually(() => gw.log.presenceOf('uitd:920', 'heartbeat')[0]);
      expect(heartbeat).toMatchObject({
        deviceKey: 'uitd:920',
        deviceId: null,
        at: row?.received_at,
        gatewayId: 'gw-test',
      });
    });

    it('a type-21 upload updates last_seen_at and publishes a heartbeat at once; other uploads only past the presence interval', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      await sendAndConfirm(client, upload('921', 1, normalStateAdu()), 1);
      await gw.presence.flush();
      const first = await lastSeen('uitd:921');

      await sendAndConfirm(client, upload('921', 2, uitdStateAdu()), 2);
      await gw.presence.flush();

      const rows = await rawFrames(ctx, 'uitd:921');
      expect(first).toBe(rows[0]?.received_at);
      expect(await lastSeen('uitd:921')).toBe(rows[1]?.received_at);
      expect((rows[1]?.received_at ?? '') > (first ?? '')).toBe(true);
      const heartbeats = await eventually(
        () => gw.log.presenceOf('uitd:921', 'heartbeat').length > 0 && gw.log.presenceOf('uitd:921', 'heartbeat'),
      );
      expect(heartbeats.map((h) => h.at)).toEqual([rows[1]?.received_at]);
      // The type-21 upload is a frame message as well.
      await eventually(() => gw.log.uploadsOf('uitd:921').length === 2);
    });

    it('publishes connected when a connection binds to a device and disconnected (with the reason) when it closes', async () => {
      const gw = await res.gateway(ctx);
      const client = await res.client(gw);
      await sendAndConfirm(client, frame({ serial: 1, source: '922', adu: null }), 1);
      const connected = await eventually(() => gw.log.presenceOf('uitd:922', 'connected')[0]);
      expect(connected).toMatchObject({ deviceId: null, gatewayId: 'gw-test', peer: client.peer });
      expect(connected.at).toMatch(ISO_MICROS);

      client.end();
      const disconnected = await eventually(() => gw.log.presenceOf('uitd:922', 'disconnected')[0]);
      expect(disconnected).toMatchObject({ reason: 'closed by peer', closedBy: 'peer', peer: client.peer });
      expect(disconnected.at > connected.at).toBe(true);
      expect(gw.downlinks.isConnected('uitd:922')).toBe(false);
    });

    it('ends with disconnected, not connected, for a device that sends one frame and closes at once', async () => {
      const gw = await res.gateway(ctx);
      for (let n = 0; n < 20; n++) {
        const address = String(930 + n);
        const client = await res.client(gw);
        client.socket.end(upload(address, 1)); // the frame and the FIN together: gone before its lookup returns
        await client.closed;
      }
      await eventually(() => gw.server.stats().connections === 0);
      for (let n = 0; n < 20; n++) {
        const key = `uitd:${930 + n}`;
        const events = await eventually(() => {
          const all = gw.log.presenceOf(key);
          return all.length === 2 && all.map((e) => e.event);
        }, key);
        expect({ key, events }).toEqual({ key, events: ['connected', 'disconnected'] });
        expect({ key, connected: gw.downlinks.isConnected(key) }).toEqual({ key, connected: false });
        // Stored all the same (its commit may land after the presence messages).
        await eventually(async () => (await rawFrames(ctx, key)).length === 1, `${key} stored`);
      }
      expect(gw.downlinks.connectedDevices).toBe(0);
    });

    it('closes the older connection of a device that reconnects (reason: replaced by a newer connection)', async () => {
      const gw = await res.gateway(ctx);
      const old = await res.client(gw);
      await sendAndConfirm(old, upload('923', 1), 1);
      const fresh = await res.client(gw);
      await sendAndConfirm(fresh, upload('923', 2), 2);

      expect(await old.closesWithin(3000)).toBe(true);
      const disconnected = await eventually(() => gw.log.presenceOf('uitd:923', 'disconnected')[0]);
      expect(disconnected).toMatchObject({
        reason: 'replaced by a newer connection',
        closedBy: 'replaced',
        peer: old.peer,
      });
      expect(gw.downlinks.isConnected('uitd:923')).toBe(true);
      await sendAndConfirm(fresh, upload('923', 3), 3);
      await expectNothingLost(ctx, 'uitd:923', [upload('923', 1), upload('923', 2), upload('923', 3)]);
    });

    it('says who closed the link: a reset by the device is the peer’s, a stopping gateway’s close is shutdown', async () => {
      const gw = await res.gateway(ctx);
      const reset = await res.client(gw);
      await sendAndConfirm(reset, upload('924', 1), 1);
      const staying = await res.client(gw);
      await sendAndConfirm(staying, upload('925', 1), 1);

      reset.socket.resetAndDestroy();
      const lost = await eventually(() => gw.log.presenceOf('uitd:924', 'disconnected')[0]);
      expect(lost).toMatchObject({ reason: 'reset', closedBy: 'peer' });

      await gw.stop();
      const [stopped] = gw.log.presenceOf('uitd:925', 'disconnected');
      expect(stopped).toMatchObject({ reason: 'platform shutting down', closedBy: 'shutdown', peer: staying.peer });
    });

    it('counts every stored frame as a sign of life, at most one heartbeat per presence interval (CQC/SC 11002 4.4.2)', async () => {
      const gw = await res.gateway(ctx, { env: { FIREIOT_PRESENCE_INTERVAL_S: '1' } });
      const client = await res.client(gw);
      // 20 uploads in a little more than a second, the first binding the connection (connected).
      for (let n = 1; n <= 20; n++) {
        await client.send(upload('926', n, normalStateAdu(n)));
        if (n < 20) await delay(60);
      }
      await client.waitForCount((f) => f.command.code === 3, 20);
      // A GB/T 26875.3 heartbeat afterwards is published at once: once it is there, so is every earlier decision.
      await sendAndConfirm(client, upload('926', 21, uitdStateAdu()), 21);
      const rows = await rawFrames(ctx, 'uitd:926');
      const marker = rows.find((r) => r.serial === 21)?.received_at;
      await eventually(() => gw.log.presenceOf('uitd:926', 'heartbeat').some((h) => h.at === marker));

      const beats = gw.log.presenceOf('uitd:926', 'heartbeat').filter((h) => h.at !== marker);
      expect(beats.length).toBeGreaterThanOrEqual(1);
      expect(beats.length).toBeLessThanOrEqual(2);
      expect(gw.log.presenceOf('uitd:926', 'connected')).toHaveLength(1);
      // Each carries the receive time of the frame it stands for, a second or more after the last presence.
      const times = rows.map((r) => r.received_at);
      for (const beat of beats) expect(times).toContain(beat.at);
      const connectedAt = gw.log.presenceOf('uitd:926', 'connected')[0]?.at ?? '';
      expect(Date.parse(beats[0]?.at ?? '') - Date.parse(connectedAt)).toBeGreaterThanOrEqual(1000);
    });

    it('counts a device’s response (a patrol answer) as a sign of life too', async () => {
      const gw = await res.gateway(ctx, { env: { FIREIOT_PRESENCE_INTERVAL_S: '1' } });
      const client = await res.client(gw);
      await sendAndConfirm(client, upload('927', 1), 1);
      const connected = await eventually(() => gw.log.presenceOf('uitd:927', 'connected')[0]);

      // A response (command 5) to nothing pending: stored all the same, and a sign of life once the interval is over.
      await eventually(
        async () => {
          await client.send(frame({ serial: 500, source: '927', command: 5, adu: uitdStateAdu() }));
          return gw.log.presenceOf('uitd:927', 'heartbeat')[0];
        },
        'a heartbeat from a response',
        5000,
        100,
      );
      const [beat] = gw.log.presenceOf('uitd:927', 'heartbeat');
      expect(Date.parse(beat?.at ?? '') - Date.parse(connected.at)).toBeGreaterThanOrEqual(1000);
      const responses = (await rawFrames(ctx, 'uitd:927')).filter((r) => r.command === 5);
      expect(responses.map((r) => r.received_at)).toContain(beat?.at);
    });
  });
});
