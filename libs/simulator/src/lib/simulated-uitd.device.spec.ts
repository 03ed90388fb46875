import { decodeFrame, encodeFrame, isAduOfType, timeLabelFromDate, type Frame } from '@fireiot/gb26875';
import { FakeCentre, waitUntil, type FakeCentreOptions } from './fake-centre.test-util';
import { SimulatedUitd } from './simulated-uitd.device';
import type { UitdOptions } from './simulator.options';

function decoded(bytes: Buffer): Frame {
  const r = decodeFrame(bytes);
  if (!r.ok) throw r.error;
  return r.frame;
}

/** A frame from the centre (address 0) to the device 889. */
function downlink(serial: number, command: number, adu: Record<string, unknown>): Buffer {
  return encodeFrame({
    serial,
    sentAt: timeLabelFromDate(new Date()),
    source: '0',
    destination: '889',
    command,
    adu,
  });
}

describe(SimulatedUitd.name, () => {
  let centre: FakeCentre;
  let device: SimulatedUitd;

  async function setUp(centreOptions: FakeCentreOptions = {}, options: Partial<UitdOptions> = {}): Promise<void> {
    centre = await FakeCentre.start(centreOptions);
    device = new SimulatedUitd({
      port: centre.port,
      address: '889',
      heartbeatOnConnect: false,
      heartbeatIntervalMs: 0,
      confirmTimeoutMs: 100,
      ...options,
    });
    await device.connect();
    await centre.waitForConnections(1);
  }

  afterEach(async () => {
    await device.close(0);
    await centre.close();
  });

  it('uploads heartbeats, fire alarms, faults and telemetry, each confirmed with its serial and swapped addresses', async () => {
    await setUp();
    const results = [
      await device.sendHeartbeat(),
      await device.sendFireAlarm(),
      await device.sendFault(),
      await device.sendTelemetry(),
      await device.sendTelemetry(),
    ];
    expect(results.map((r) => r.outcome)).toEqual(['confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed']);
    expect(results.map((r) => r.serial)).toEqual([1, 2, 3, 4, 5]);
    expect(results.every((r) => r.attempts === 1 && r.rttMs !== null && r.rttMs >= 0)).toBe(true);

    const uploads = centre.uploadFrames.map(decoded);
    expect(uploads.map((f) => f.serial)).toEqual([1, 2, 3, 4, 5]);
    for (const f of uploads) {
      expect(f.command.code).toBe(2);
      expect(f.source.value).toBe('889');
      expect(f.destination.value).toBe('0');
      expect(f.version).toEqual({ major: 1, minor: 1 });
    }
    expect(uploads.map((f) => f.adu?.type.code)).toEqual([21, 2, 2, 2, 3]);
    const confirms = centre.replies.map(decoded);
    expect(confirms.map((f) => [f.command.code, f.serial, f.source.value, f.destination.value])).toEqual(
      [1, 2, 3, 4, 5].map((s) => [3, s, '0', '889']),
    );

    const stats = device.stats();
    expect(stats.uploads).toMatchObject({ sent: 5, confirmed: 5, retransmitted: 0, failed: 0, denied: 0, inFlight: 0 });
    expect(stats.uploads.sentByKind).toMatchObject({ heartbeat: 1, fire: 1, fault: 1, telemetry: 2 });
    expect(stats.rttMs.count).toBe(5);
    expect(stats.rttMs.max).toBeGreaterThan(0);
    expect(stats.connections).toMatchObject({ devices: 1, connected: 1, connects: 1, errors: 0 });
  });

  it('stamps its time labels with the current local time (UTC+8)', async () => {
    await setUp();
    const before = timeLabelFromDate(new Date(Date.now() - 1000));
    const r = await device.sendHeartbeat();
    const after = timeLabelFromDate(new Date(Date.now() + 1000));
    const f = decoded(r.frame as Buffer);
    expect(f.sentAt >= before && f.sentAt <= after).toBe(true);
    expect(isAduOfType(f.adu, 21) && f.adu.objects[0]?.occurredAt).toBe(f.sentAt);
    expect(isAduOfType(f.adu, 21) && f.adu.objects[0]?.state.flags).toEqual(['normal']);
  });

  it('a fire alarm is a type-2 smoke detector state with the fire-alarm flag and a location', async () => {
    await setUp();
    const fire = decoded((await device.sendFireAlarm({ loop: 2, point: 10, description: '3层走廊' })).frame as Buffer);
    if (!isAduOfType(fire.adu, 2)) throw new Error(`expected a type-2 ADU, got ${JSON.stringify(fire.adu?.type)}`);
    const o = fire.adu.objects[0];
    expect(o?.state.flags).toEqual(['fire-alarm']);
    expect(o?.systemType).toEqual({ code: 1, name: 'fire-alarm-system' });
    expect(o?.systemAddress).toBe(1);
    expect(o?.componentType).toEqual({ code: 40, name: 'smoke-detector' });
    expect(o?.componentAddress).toMatchObject({ low16: 10, high16: 2 });
    expect(o?.description).toBe('3层走廊');
    const fault = decoded((await device.sendFault()).frame as Buffer);
    expect(isAduOfType(fault.adu, 2) && fault.adu.objects[0]?.state.flags).toEqual(['fault']);
    expect(isAduOfType(fault.adu, 2) && fault.adu.objects[0]?.description).toMatch(/^\d+层/);
  });

  it('retransmits the identical bytes when the first confirm is withheld, then counts the confirm', async () => {
    await setUp({ reply: (_frame, index) => (index === 0 ? 'none' : 'confirm') });
    const r = await device.sendFireAlarm();
    expect(r).toMatchObject({ outcome: 'confirmed', attempts: 2, serial: 1 });
    const uploads = centre.uploadFrames;
    expect(uploads).toHaveLength(2);
    expect(uploads[1]?.equals(uploads[0] as Buffer)).toBe(true);
    expect(device.stats().uploads).toMatchObject({ sent: 1, confirmed: 1, retransmitted: 1, failed: 0 });
  });

  it('gives up after 3 retries without a confirm and counts the upload as failed', async () => {
    await setUp({ reply: () => 'none' });
    const started = Date.now();
    const r = await device.sendHeartbeat();
    expect(r).toMatchObject({ outcome: 'failed', attempts: 4, rttMs: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 100);
    const uploads = centre.uploadFrames;
    expect(uploads).toHaveLength(4);
    expect(uploads.every((u) => u.equals(uploads[0] as Buffer))).toBe(true);
    expect(device.stats().uploads).toMatchObject({ sent: 1, confirmed: 0, retransmitted: 3, failed: 1, inFlight: 0 });
  });

  it('counts a deny (command 6) as denied', async () => {
    await setUp({ reply: (_frame, index) => (index === 1 ? 'deny' : 'confirm') });
    expect((await device.sendHeartbeat()).outcome).toBe('confirmed');
    expect((await device.sendHeartbeat()).outcome).toBe('denied');
    expect(device.stats().uploads).toMatchObject({ sent: 2, confirmed: 1, denied: 1, retransmitted: 0 });
  });

  it('ignores a confirm that does not swap the addresses', async () => {
    await setUp({ reply: () => 'none' }, { retries: 0 });
    const pending = device.sendHeartbeat();
    const upload = await centre.waitFor((f) => f[26] === 2);
    // A confirm that copies the header unchanged (a known bad server, notes §7.7).
    const bad = Buffer.from(upload.subarray(0, 30));
    bad.writeUInt16LE(0, 24);
    bad[26] = 3;
    bad[27] = bad.subarray(2, 27).reduce((a, b) => a + b, 0) & 0xff;
    bad[28] = 0x23;
    bad[29] = 0x23;
    centre.send(bad);
    expect((await pending).outcome).toBe('failed');
    expect(device.stats().downlink.ignored).toBe(1);
  });

  it('answers a patrol (request, type 81) with a response carrying its UITD state and the same serial', async () => {
    await setUp();
    centre.send(downlink(4242, 4, { type: 81, objects: [{ reserved: 0 }] }));
    const response = decoded(await centre.waitFor((f) => f[26] === 5));
    expect(response.serial).toBe(4242);
    expect(response.command.name).toBe('response');
    expect(response.source.value).toBe('889');
    expect(response.destination.value).toBe('0');
    expect(response.adu?.type.code).toBe(21);
    expect(isAduOfType(response.adu, 21) && response.adu.objects[0]?.state.flags).toEqual(['normal']);
    expect(device.stats().downlink).toMatchObject({ received: 1, patrolsAnswered: 1 });
  });

  it('can be told not to answer patrols', async () => {
    await setUp({}, { answerPatrols: false });
    centre.send(downlink(7, 4, { type: 81, objects: [{ reserved: 0 }] }));
    await waitUntil(() => device.stats().downlink.patrolsIgnored === 1);
    await device.sendHeartbeat(); // the connection still works
    expect(centre.received.filter((f) => f[26] === 5)).toHaveLength(0);
  });

  it('applies a clock sync (control, type 90), confirms it, and stamps later frames with the new time', async () => {
    await setUp();
    centre.send(downlink(9, 1, { type: 90, objects: [{ systemTime: '2030-06-15T12:00:00' }] }));
    const confirm = decoded(await centre.waitFor((f) => f[26] === 3));
    expect(confirm).toMatchObject({ serial: 9, source: { value: '889' }, destination: { value: '0' } });
    const heartbeat = decoded((await device.sendHeartbeat()).frame as Buffer);
    expect(heartbeat.sentAt.startsWith('2030-06-15T12:0')).toBe(true);
    expect(device.stats().downlink.clockSyncs).toBe(1);
  });

  it('confirms a duty check (control, type 91) and uploads the operator’s answer (type 24, bit 5)', async () => {
    await setUp();
    centre.send(downlink(11, 1, { type: 91, objects: [{ answerTimeoutMinutes: 10 }] }));
    const confirm = decoded(await centre.waitFor((f) => f[26] === 3));
    expect(confirm.serial).toBe(11);
    const answer = decoded(await centre.waitFor((f) => f[26] === 2 && f[27] === 24));
    expect(isAduOfType(answer.adu, 24) && answer.adu.objects[0]?.operations).toEqual(['duty-check-answer']);
    await waitUntil(() => device.stats().uploads.confirmed === 1);
    expect(device.stats().downlink.dutyChecksAnswered).toBe(1);
    expect(device.stats().uploads.sentByKind['duty-check-answer']).toBe(1);
  });

  it('answers a duty check sent as a request with a type-24 response', async () => {
    await setUp();
    centre.send(downlink(12, 4, { type: 91, objects: [{ answerTimeoutMinutes: 1 }] }));
    const response = decoded(await centre.waitFor((f) => f[26] === 5));
    expect(response.serial).toBe(12);
    expect(isAduOfType(response.adu, 24) && response.adu.objects[0]?.operations).toEqual(['duty-check-answer']);
  });

  it('answers the other reads with their data and denies what a UITD cannot answer', async () => {
    await setUp();
    centre.send(downlink(20, 4, { type: 88, objects: [{ reserved: 0 }] }));
    centre.send(
      downlink(21, 4, { type: 62, objects: [{ systemType: 1, systemAddress: 1, componentAddress: { value: 5 } }] }),
    );
    centre.send(
      downlink(22, 4, { type: 21, objects: [{ state: { flags: ['normal'] }, occurredAt: '2024-01-01T00:00:00' }] }),
    );
    centre.send(downlink(23, 200, { type: 200, raw: 'c80100' }));
    await waitUntil(() => centre.received.length >= 4);
    const bySerial = new Map(centre.received.map((f) => [decoded(f).serial, decoded(f)]));
    expect(bySerial.get(20)).toMatchObject({ command: { code: 5 }, adu: { type: { code: 28 } } });
    expect(bySerial.get(21)).toMatchObject({ command: { code: 5 }, adu: { type: { code: 2 } } });
    expect(bySerial.get(22)).toMatchObject({ command: { code: 6 }, adu: null });
    expect(bySerial.get(23)).toMatchObject({ command: { code: 6 }, adu: null });
    expect(device.stats().downlink).toMatchObject({ received: 4, readsAnswered: 2, denied: 2 });
  });

  it('goes silent on command, and talks again after resume()', async () => {
    await setUp();
    device.goSilent();
    expect((await device.sendHeartbeat()).outcome).toBe('not-sent');
    centre.send(downlink(30, 4, { type: 81, objects: [{ reserved: 0 }] }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(centre.received).toHaveLength(0);
    expect(device.connected).toBe(true);
    device.resume();
    expect((await device.sendHeartbeat()).outcome).toBe('confirmed');
    expect(device.stats().uploads.notSent).toBe(1);
  });

  it('disconnects and reconnects on command', async () => {
    await setUp();
    await device.disconnect();
    expect(device.connected).toBe(false);
    expect((await device.sendHeartbeat()).outcome).toBe('not-sent');
    await device.reconnect();
    expect(device.connected).toBe(true);
    await centre.waitForConnections(2);
    expect((await device.sendHeartbeat()).outcome).toBe('confirmed');
    expect(device.stats().connections).toMatchObject({ connects: 2, disconnects: 1, connected: 1 });
  });

  it('sends heartbeats on connect and at its interval', async () => {
    centre = await FakeCentre.start();
    device = new SimulatedUitd({ port: centre.port, address: 889, heartbeatIntervalMs: 40, confirmTimeoutMs: 1000 });
    await device.connect();
    await waitUntil(() => centre.uploadFrames.length >= 3);
    expect(centre.uploadFrames.map((f) => f[27])).toEqual(expect.arrayContaining([21, 21, 21]) as unknown);
  });

  it('sends telemetry at its rate', async () => {
    centre = await FakeCentre.start();
    device = new SimulatedUitd({ port: centre.port, address: 889, heartbeatOnConnect: false, telemetryRate: 200 });
    await device.connect();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const n = centre.uploadFrames.length;
    expect(n).toBeGreaterThan(50);
    expect(n).toBeLessThan(150);
  });

  it('counts a refused connection as an error and rejects', async () => {
    centre = await FakeCentre.start();
    const port = centre.port;
    await centre.close();
    device = new SimulatedUitd({ port, address: 889 });
    await expect(device.connect()).rejects.toThrow();
    expect(device.stats().connections).toMatchObject({ errors: 1, errorsByCode: { ECONNREFUSED: 1 }, connected: 0 });
    centre = await FakeCentre.start(); // for afterEach
  });

  it('wraps its 16-bit serial number', async () => {
    await setUp();
    (device as unknown as { serial: number }).serial = 0xfffe;
    const serials = [];
    for (let i = 0; i < 3; i++) serials.push((await device.sendHeartbeat()).serial);
    expect(serials).toEqual([0xffff, 0, 1]);
  });
});
