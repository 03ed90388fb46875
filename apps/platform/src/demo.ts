import 'reflect-metadata';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { loadConfig } from '@fireiot/config';
import { hashDeviceSecret } from '@fireiot/gateway';
import { UitdSwarm } from '@fireiot/simulator';
import { connect, MqttClient } from 'mqtt';
import { DatabaseHandle, DeviceProvisioning } from '@fireiot/storage';
import { Pool } from 'pg';
import { bootstrapLogger, describeListeners, startPlatform } from '@fireiot/runtime';

/**
 * `npm run demo`: the platform (as `npm start`) plus a simulated fleet of UITDs over TCP that
 * raises fire alarms and faults, and now and then loses its connection, and three MQTT sensors;
 * every fire alarm, fault and sensor reading the platform receives is printed as it arrives. (Alerts to units arrive with the
 * alerting issue; communication-loss alerts with the watchdog issue.)
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const platform = await startPlatform(config);
  process.stdout.write(`${describeListeners(config, platform.ports)}\n`);
  const bus = platform.app.get<EventBus>(EVENT_BUS);
  const print = (line: string): void => void process.stdout.write(`${new Date().toISOString()}  ${line}\n`);

  await bus.subscribe('fireiot.ingest.fire-alarms.v1', 'demo-console', async (m) => {
    print(`FIRE ALARM   ${m.deviceKey}  ${describeObjects(m.frame.adu?.objects ?? [])}  (received ${m.receivedAt})`);
  });
  await bus.subscribe('fireiot.ingest.frames.v1', 'demo-console', async (m) => {
    const objects = m.frame.adu?.objects ?? [];
    if (objects.some((o) => flagsOf(o).includes('fault')))
      print(`fault        ${m.deviceKey}  ${describeObjects(objects)}`);
  });
  await bus.subscribe('fireiot.device.presence.v1', 'demo-console', async (m) => {
    if (m.event === 'disconnected') print(`disconnected ${m.deviceKey}  (${m.reason ?? 'no reason'})`);
  });

  const devices = Number(process.env['FIREIOT_DEMO_DEVICES'] ?? 20);
  // The demo fleet is provisioned, as a monitoring centre's devices would be.
  const owner = new Pool({ connectionString: platform.app.get(DatabaseHandle).ownerUrl, max: 1 });
  await new DeviceProvisioning(owner).register(
    Array.from({ length: devices }, (_, i) => ({
      deviceKey: `uitd:${100_000 + i}`,
      kind: 'uitd' as const,
      power: 'mains' as const,
    })),
  );
  const sensors = ['pump-room-pressure', 'roof-tank-level', 'fire-pump-cabinet'];
  const secret = 'demo-sensor-secret';
  const secretHash = await hashDeviceSecret(secret);
  await new DeviceProvisioning(owner).register(
    sensors.map((id) => ({
      deviceKey: `mqtt:${id}`,
      kind: 'collector' as const,
      power: 'mains' as const,
      mqttSecret: secretHash,
    })),
  );
  await owner.end();
  const swarm = new UitdSwarm({
    port: platform.ports.gb26875,
    devices,
    addressBase: 100_000,
    fireRate: 1 / 20,
    faultRate: 1 / 8,
    telemetryRate: 2,
    heartbeatIntervalMs: 30_000,
  });
  await swarm.start();
  print(`simulated fleet: ${devices} UITDs, addresses 100000–${100_000 + devices - 1}`);
  // Every 45 s one device drops its connection and comes back 15 s later.
  const dropper = setInterval(() => {
    const device = swarm.devices[Math.floor(Math.random() * swarm.devices.length)];
    if (!device) return;
    void device
      .disconnect()
      .then(() => setTimeout(() => void device.reconnect().catch(() => undefined), 15_000).unref());
  }, 45_000);
  dropper.unref();

  await bus.subscribe('fireiot.ingest.sensor-events.v1', 'demo-console', async (m) => {
    const p = m.payload;
    const reading =
      p.kind === 'pump-cabinet' ? `${p.pump} ${p.mode} power ${p.power}` : 'value' in p ? `${p.value}` : p.state;
    print(`sensor       ${m.deviceKey}  ${p.kind} ${reading}`);
  });
  // MQTT collectors: a pressure sensor that sometimes reads low, a tank level, a pump cabinet.
  const clients: MqttClient[] = [];
  if (platform.ports.mqtt !== null) {
    for (const id of sensors) {
      clients.push(
        connect(`mqtt://127.0.0.1:${platform.ports.mqtt}`, { clientId: id, username: id, password: secret }),
      );
    }
  }
  const sensorTimer = setInterval(() => {
    const [pressure, level, cabinet] = clients;
    const low = Math.random() < 0.2;
    pressure?.publish(
      `fireiot/v1/devices/${sensors[0]}/events`,
      JSON.stringify({ kind: 'water-pressure', value: low ? 0.05 : 0.32, point: 'most-unfavourable-point' }),
      { qos: 1 },
    );
    level?.publish(
      `fireiot/v1/devices/${sensors[1]}/events`,
      JSON.stringify({ kind: 'water-level', value: Math.round(310 + Math.random() * 10) / 100, tank: 'roof tank' }),
      { qos: 1 },
    );
    cabinet?.publish(
      `fireiot/v1/devices/${sensors[2]}/events`,
      JSON.stringify({
        kind: 'pump-cabinet',
        pump: 'fire-pump',
        mode: Math.random() < 0.1 ? 'manual' : 'auto',
        power: 'normal',
        running: false,
      }),
      { qos: 1 },
    );
  }, 20_000);
  sensorTimer.unref();

  let signals = 0;
  const shutdown = (): void => {
    if (++signals > 1) process.exit(130);
    clearInterval(dropper);
    clearInterval(sensorTimer);
    for (const c of clients) c.end(true);
    void swarm
      .stop({ drainMs: 2000 })
      .then(() => platform.stop())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

function flagsOf(object: object): readonly string[] {
  const state = (object as { state?: { flags?: readonly string[] } }).state;
  return state?.flags ?? [];
}

function describeObjects(objects: readonly object[]): string {
  return objects
    .map((o) => {
      const x = o as { componentType?: { name?: string }; description?: string; state?: { flags?: string[] } };
      return [x.componentType?.name, x.description, flagsOf(o).join('+')].filter(Boolean).join(' ');
    })
    .join('; ');
}

main().catch((error: unknown) => {
  bootstrapLogger.error({
    msg: 'the demo did not start',
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
