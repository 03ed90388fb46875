import { microsToIso } from '@fireiot/events';
import { buildConfirm, buildDeny, Frame } from '@fireiot/gb26875';
import { GatewayError } from '../gateway.error';
import { DownlinkService } from './downlink.service';
import {
  delay,
  frame,
  GatewayDatabase,
  rawFrames,
  RawClient,
  Resources,
  sendAndConfirm,
  SENT_AT,
  startGatewayDatabase,
  TestGateway,
  uitdStateAdu,
  upload,
} from './gateway-harness.test-util';

jest.setTimeout(30_000);

const PATROL = { command: 4, adu: { type: 81, objects: [{ reserved: 0 }] } } as const;

/**
 * Platform → device requests over the device's live connection (GB/T 26875.3 §6.2–6.4): matched
 * to the answer by serial, re-sent byte for byte when unanswered, then `downlink-timeout`.
 */
describe(DownlinkService.name, () => {
  let ctx: GatewayDatabase;
  const res = new Resources();

  beforeAll(async () => {
    ctx = await startGatewayDatabase();
  });
  afterEach(() => res.release());
  afterAll(() => ctx.close());

  /** A gateway and a client bound to `address` (its first upload confirmed). */
  async function connected(address: string): Promise<{ gw: TestGateway; device: RawClient }> {
    const gw = await res.gateway(ctx);
    const device = await res.client(gw);
    await sendAndConfirm(device, upload(address, 1), 1);
    return { gw, device };
  }

  /** The downlink requests (commands 1 and 4) the device has received so far. */
  function requests(device: RawClient): Frame[] {
    return device.matching((f) => f.command.code === 4 || f.command.code === 1);
  }

  it('sends a patrol query (type 81) with a fresh serial and resolves with the device’s response, stored in raw_frames', async () => {
    const { gw, device } = await connected('889');

    const answer = gw.downlinks.request('uitd:889', PATROL);
    const query = await device.waitFor((f) => f.command.code === 4);
    expect(query).toMatchObject({
      command: { code: 4, name: 'request' },
      destination: { value: '889' },
      adu: { type: { code: 81 }, objects: [{ reserved: 0 }], raw: '510100' },
    });
    expect(query.serial).not.toBe(1);

    const response = frame({
      serial: query.serial,
      source: '889',
      destination: query.source.value,
      command: 5,
      adu: uitdStateAdu(0x01),
    });
    await device.send(response);
    const result = await answer;

    expect(result).toMatchObject({
      serial: query.serial,
      command: { code: 5, name: 'response' },
      source: { value: '889' },
      adu: { type: { code: 21 }, objects: [{ state: { raw: 1, flags: ['normal'] }, occurredAt: SENT_AT }] },
    });
    const rows = await rawFrames(ctx, 'uitd:889');
    expect(rows.map((r) => [r.serial, r.command, r.adu_type])).toEqual([
      [1, 2, 2],
      [query.serial, 5, 21],
    ]);
    expect(rows[1]?.bytes.equals(response)).toBe(true);
    // A response is not an upload: it is not confirmed.
    expect(device.matching((f) => f.serial === query.serial && f.command.code === 3)).toEqual([]);
  });

  it('gives each request its own serial and matches answers by serial, in any order', async () => {
    const { gw, device } = await connected('890');

    const first = gw.downlinks.request('uitd:890', PATROL);
    const second = gw.downlinks.request('uitd:890', { command: 4, adu: { type: 85, objects: [{}] } });
    const [q1, q2] = await device.waitForCount((f) => f.command.code === 4, 2);
    expect(q1?.serial).not.toBe(q2?.serial);

    for (const q of [q2, q1]) {
      await device.send(
        frame({
          serial: q?.serial ?? 0,
          source: '890',
          destination: '0',
          command: 5,
          adu: uitdStateAdu(q === q1 ? 1 : 8),
        }),
      );
    }
    expect((await first).adu?.objects[0]).toMatchObject({ state: { raw: 1 } });
    expect((await second).adu?.objects[0]).toMatchObject({ state: { raw: 8 } });
  });

  it('resolves a control frame (type 90 clock sync) with the device’s confirm', async () => {
    const { gw, device } = await connected('891');

    const answer = gw.downlinks.request('uitd:891', {
      command: 1,
      adu: { type: 90, objects: [{ systemTime: '2026-01-01T08:00:00' }] },
    });
    const sync = await device.waitFor((f) => f.command.code === 1);
    expect(sync.adu).toMatchObject({ type: { code: 90 }, objects: [{ systemTime: '2026-01-01T08:00:00' }] });
    const request = device.replies.find((r) => r.frame === sync)?.bytes ?? Buffer.alloc(0);
    await device.send(buildConfirm(request, SENT_AT));

    expect(await answer).toMatchObject({ serial: sync.serial, command: { code: 3 } });
  });

  it('sends the identical frame again when unanswered, then rejects with downlink-timeout', async () => {
    const { gw, device } = await connected('892');

    const started = performance.now();
    const answer = gw.downlinks.request('uitd:892', PATROL, { timeoutMs: 150, retries: 2 });
    const error = await answer.then(
      () => null,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;

    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'downlink-timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(3 * 150 - 10);
    const sent = device.replies.filter((r) => r.frame?.command.code === 4).map((r) => r.bytes.toString('hex'));
    expect(sent).toHaveLength(3); // the first attempt and two retries
    expect(new Set(sent).size).toBe(1); // byte for byte: same serial, same time label
  });

  it('resolves when the answer comes to a retransmission', async () => {
    const { gw, device } = await connected('893');

    // 1 s between transmissions: the answer to the second is in before the last times out, even on a loaded machine.
    const answer = gw.downlinks.request('uitd:893', PATROL, { timeoutMs: 1000, retries: 3 });
    const [, again] = await device.waitForCount((f) => f.command.code === 4, 2);
    await device.send(
      frame({ serial: again?.serial ?? 0, source: '893', destination: '0', command: 5, adu: uitdStateAdu() }),
    );
    expect(await answer).toMatchObject({ serial: again?.serial, command: { code: 5 } });
  });

  it('exchange() reports the serial, each transmission, the transmissions made and the answer’s receive time', async () => {
    const { gw, device } = await connected('898');

    const transmitted: [number, number][] = [];
    // 1 s between transmissions: the answer to the second is in before a third, even on a loaded machine.
    const exchange = gw.downlinks.exchange('uitd:898', PATROL, {
      timeoutMs: 1000,
      retries: 3,
      onTransmit: (serial, n) => transmitted.push([serial, n]),
    });
    const [, again] = await device.waitForCount((f) => f.command.code === 4, 2);
    await device.send(
      frame({ serial: again?.serial ?? 0, source: '898', destination: '0', command: 5, adu: uitdStateAdu() }),
    );
    const result = await exchange;

    expect(result).toMatchObject({ serial: again?.serial, transmissions: 2, frame: { command: { code: 5 } } });
    expect(transmitted).toEqual([
      [again?.serial, 1],
      [again?.serial, 2],
    ]);
    const [row] = (await rawFrames(ctx, 'uitd:898')).filter((r) => r.command === 5);
    expect(result.answeredAt).not.toBeNull();
    expect(microsToIso(result.answeredAt?.wallUs ?? 0n)).toBe(row?.received_at);
  });

  it('exchange() resolves with a deny (request() rejects on it)', async () => {
    const { gw, device } = await connected('899');

    const exchange = gw.downlinks.exchange('uitd:899', PATROL);
    const query = await device.waitFor((f) => f.command.code === 4);
    const bytes = device.replies.find((r) => r.frame === query)?.bytes ?? Buffer.alloc(0);
    await device.send(buildDeny(bytes, SENT_AT));

    expect(await exchange).toMatchObject({ serial: query.serial, transmissions: 1, frame: { command: { code: 6 } } });
  });

  it('rejects with aborted, and sends nothing more, when the caller withdraws the request', async () => {
    const { gw, device } = await connected('900');

    const controller = new AbortController();
    const outcome = gw.downlinks
      .request('uitd:900', PATROL, { timeoutMs: 100, retries: 3, signal: controller.signal })
      .then(
        () => null,
        (e: unknown) => e,
      );
    await device.waitFor((f) => f.command.code === 4);
    controller.abort('connection released');

    expect(await outcome).toMatchObject({ name: 'GatewayError', code: 'aborted' });
    // Another request goes through the same route, and only it: the withdrawn one is not re-sent.
    const next = gw.downlinks.request('uitd:900', PATROL, { timeoutMs: 100, retries: 0 }).catch(() => null);
    await next;
    expect(requests(device)).toHaveLength(2);
  });

  it('rejects with downlink-denied when the device denies the request', async () => {
    const { gw, device } = await connected('894');

    const answer = gw.downlinks.request('uitd:894', PATROL);
    const query = await device.waitFor((f) => f.command.code === 4);
    const bytes = device.replies.find((r) => r.frame === query)?.bytes ?? Buffer.alloc(0);
    await device.send(buildDeny(bytes, SENT_AT));

    await expect(answer).rejects.toMatchObject({ name: 'GatewayError', code: 'downlink-denied' });
    // The deny is a record too.
    const rows = await rawFrames(ctx, 'uitd:894');
    expect(rows.map((r) => [r.serial, r.command])).toEqual([
      [1, 2],
      [query.serial, 6],
    ]);
  });

  it('rejects with device-not-connected for a device without a live connection', async () => {
    const gw = await res.gateway(ctx);
    await expect(gw.downlinks.request('uitd:895', PATROL)).rejects.toMatchObject({ code: 'device-not-connected' });

    const device = await res.client(gw);
    await sendAndConfirm(device, upload('895', 1), 1);
    expect(gw.downlinks.isConnected('uitd:895')).toBe(true);
    device.end();
    await device.closed;
    await delay(50);
    expect(gw.downlinks.isConnected('uitd:895')).toBe(false);
    await expect(gw.downlinks.request('uitd:895', PATROL)).rejects.toMatchObject({ code: 'device-not-connected' });
  });

  it('rejects a pending request with connection-closed as soon as the device’s connection closes', async () => {
    const { gw, device } = await connected('897');

    const started = performance.now();
    const outcome = gw.downlinks.request('uitd:897', PATROL, { timeoutMs: 5000 }).then(
      () => null,
      (e: unknown) => e,
    );
    await device.waitFor((f) => f.command.code === 4);
    device.end();

    expect(await outcome).toMatchObject({ name: 'GatewayError', code: 'connection-closed' });
    expect(performance.now() - started).toBeLessThan(2000); // not after the 5 s timeout and its retries
  });

  it('rejects pending requests with shutting-down when the gateway stops', async () => {
    const { gw, device } = await connected('896');

    const outcome = gw.downlinks.request('uitd:896', PATROL).then(
      () => null,
      (e: unknown) => e,
    );
    await device.waitFor((f) => f.command.code === 4);
    await gw.stop();

    expect(await outcome).toMatchObject({ name: 'GatewayError', code: 'shutting-down' });
    await expect(gw.downlinks.request('uitd:896', PATROL)).rejects.toMatchObject({ code: 'shutting-down' });
    expect(requests(device)).toHaveLength(1);
  });
});
