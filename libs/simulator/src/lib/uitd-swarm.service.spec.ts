import { decodeFrame, isAduOfType, type Frame } from '@fireiot/gb26875';
import { FakeCentre, waitUntil } from './fake-centre.test-util';
import { allConfirmed } from './simulator.stats';
import { UitdSwarm } from './uitd-swarm.service';

function decoded(bytes: Buffer): Frame {
  const r = decodeFrame(bytes);
  if (!r.ok) throw r.error;
  return r.frame;
}

describe(UitdSwarm.name, () => {
  let centre: FakeCentre;

  afterEach(async () => {
    await centre.close();
  });

  it('connects N devices with consecutive addresses, each announcing itself, all confirmed', async () => {
    centre = await FakeCentre.start();
    const swarm = new UitdSwarm({ port: centre.port, devices: 25, addressBase: 5000, durationMs: 300 });
    const stats = await swarm.run();
    expect(stats.connections).toMatchObject({ devices: 25, connects: 25, errors: 0, connected: 0, disconnects: 25 });
    const sources = new Set(centre.uploadFrames.map((f) => decoded(f).source.value));
    expect([...sources].sort()).toEqual(Array.from({ length: 25 }, (_, i) => String(5000 + i)));
    expect(stats.uploads).toMatchObject({ sent: 25, confirmed: 25, failed: 0, unconfirmed: 0, inFlight: 0 });
    expect(stats.uploads.sentByKind.heartbeat).toBe(25);
    expect(allConfirmed(stats)).toBe(true);
  });

  it('raises fire alarms and faults at their rates from random devices', async () => {
    centre = await FakeCentre.start();
    const swarm = new UitdSwarm({
      port: centre.port,
      devices: 10,
      heartbeatOnConnect: false,
      fireRate: 40,
      faultRate: 20,
      durationMs: 1000,
    });
    const stats = await swarm.run();
    const frames = centre.uploadFrames.map(decoded);
    const flags = frames.flatMap((f) => (isAduOfType(f.adu, 2) ? f.adu.objects.flatMap((o) => o.state.flags) : []));
    const fires = flags.filter((x) => x === 'fire-alarm').length;
    const faults = flags.filter((x) => x === 'fault').length;
    expect(fires).toBeGreaterThanOrEqual(25);
    expect(fires).toBeLessThanOrEqual(55);
    expect(faults).toBeGreaterThanOrEqual(10);
    expect(faults).toBeLessThanOrEqual(30);
    expect(new Set(frames.map((f) => f.source.value)).size).toBeGreaterThan(3);
    expect(stats.uploads.sentByKind).toMatchObject({ fire: fires, fault: faults });
    expect(allConfirmed(stats)).toBe(true);
  });

  it('sends telemetry at its rate over the swarm and measures the confirm round trip', async () => {
    centre = await FakeCentre.start();
    const swarm = new UitdSwarm({
      port: centre.port,
      devices: 50,
      heartbeatOnConnect: false,
      telemetryRate: 2000,
      durationMs: 1000,
    });
    const stats = await swarm.run();
    expect(stats.uploads.sentByKind.telemetry).toBeGreaterThan(1500);
    expect(stats.uploads.sentByKind.telemetry).toBeLessThan(2700);
    expect(new Set(centre.uploadFrames.map((f) => decoded(f).source.value)).size).toBe(50);
    expect(stats.rttMs.count).toBe(stats.uploads.confirmed);
    expect(stats.rttMs.p50).toBeGreaterThan(0);
    expect(stats.rttMs.p50).toBeLessThanOrEqual(stats.rttMs.p99);
    expect(stats.rttMs.p99).toBeLessThanOrEqual(stats.rttMs.max);
    expect(allConfirmed(stats)).toBe(true);
  });

  it('spreads heartbeats so that each device beats once per interval', async () => {
    centre = await FakeCentre.start();
    const swarm = new UitdSwarm({
      port: centre.port,
      devices: 20,
      heartbeatOnConnect: false,
      heartbeatIntervalMs: 200,
      durationMs: 1000,
    });
    const stats = await swarm.run();
    // 20 devices × ~4.5 intervals once all are connected.
    expect(stats.uploads.sentByKind.heartbeat).toBeGreaterThanOrEqual(60);
    expect(stats.uploads.sentByKind.heartbeat).toBeLessThanOrEqual(125);
    const perDevice = new Map<string, number>();
    for (const f of centre.uploadFrames) {
      const a = decoded(f).source.value;
      perDevice.set(a, (perDevice.get(a) ?? 0) + 1);
    }
    expect(perDevice.size).toBe(20);
    expect(Math.min(...perDevice.values())).toBeGreaterThanOrEqual(3);
  });

  it('ramps connections up at the connect rate', async () => {
    centre = await FakeCentre.start();
    const swarm = new UitdSwarm({ port: centre.port, devices: 40, connectRate: 100, heartbeatOnConnect: false });
    const started = Date.now();
    await swarm.start();
    const took = Date.now() - started;
    expect(swarm.stats().connections.connected).toBe(40);
    expect(took).toBeGreaterThanOrEqual(300);
    await swarm.stop();
  });

  it('on stop, waits for uploads in flight, then counts those still unconfirmed', async () => {
    centre = await FakeCentre.start({ reply: () => 'none' });
    const swarm = new UitdSwarm({ port: centre.port, devices: 3, confirmTimeoutMs: 5000 });
    await swarm.start();
    await waitUntil(() => swarm.stats().uploads.sent === 3);
    const stats = await swarm.stop({ drainMs: 100 });
    expect(stats.uploads).toMatchObject({ sent: 3, confirmed: 0, unconfirmed: 3, inFlight: 0 });
    expect(allConfirmed(stats)).toBe(false);
  });

  it('counts refused connections as errors and still finishes', async () => {
    centre = await FakeCentre.start();
    const port = centre.port;
    await centre.close();
    const swarm = new UitdSwarm({ port, devices: 5, durationMs: 100 });
    const stats = await swarm.run();
    expect(stats.connections).toMatchObject({ connects: 0, errors: 5, errorsByCode: { ECONNREFUSED: 5 } });
    expect(stats.uploads.sent).toBe(0);
    centre = await FakeCentre.start(); // for afterEach
  });

  it('run() without a duration lasts until its signal aborts', async () => {
    centre = await FakeCentre.start();
    const swarm = new UitdSwarm({ port: centre.port, devices: 2 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 150);
    const started = Date.now();
    const stats = await swarm.run(abort.signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(stats.uploads.confirmed).toBe(2);
  });

  it('lets a test reach one device to go silent or disconnect', async () => {
    centre = await FakeCentre.start();
    const swarm = new UitdSwarm({ port: centre.port, devices: 3, heartbeatOnConnect: false, telemetryRate: 300 });
    await swarm.start();
    const quiet = swarm.devices[1];
    quiet?.goSilent();
    await swarm.devices[2]?.disconnect();
    const before = centre.uploadFrames.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stats = await swarm.stop({ drainMs: 1000 });
    const sources = new Set(centre.uploadFrames.slice(before).map((f) => decoded(f).source.value));
    expect([...sources]).toEqual([swarm.devices[0]?.address]);
    expect(stats.uploads.notSent).toBe(0);
  });
});
