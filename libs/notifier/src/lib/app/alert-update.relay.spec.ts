import { INestApplication, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EVENT_BUS, InProcessBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, loadConfig } from '@fireiot/config';
import { AlertLifecycle } from '@fireiot/events';
import { AuthService, Principal } from '@fireiot/identity';
import { io, Socket } from 'socket.io-client';
import { ALERT_UPDATED_EVENT, AlertUpdatedPayload, AlertUpdateRelay } from './alert-update.relay';
import { AlertsGateway } from './alerts.gateway';
import { AppChannel } from './app.channel';

jest.setTimeout(30_000);
Logger.overrideLogger(['error']);

const UNIT_A = '0a7e1c52-1d4f-4f0e-9a43-5b0c9e2d1a01';
const UNIT_B = '0b7e1c52-1d4f-4f0e-9a43-5b0c9e2d1a02';

/** Accounts by token (the token check itself is AuthService's, specified in libs/identity). */
const PRINCIPALS: Record<string, Principal> = {
  op1: { userId: '11111111-1111-4111-8111-111111111111', username: 'op1', role: 'operator', unitId: null },
  op2: { userId: '22222222-2222-4222-8222-222222222222', username: 'op2', role: 'operator', unitId: null },
  a1: { userId: '33333333-3333-4333-8333-333333333333', username: 'a1', role: 'unit', unitId: UNIT_A },
  b1: { userId: '44444444-4444-4444-8444-444444444444', username: 'b1', role: 'unit', unitId: UNIT_B },
};

const auth: Pick<AuthService, 'verify'> = {
  async verify(token: string): Promise<Principal> {
    const principal = PRINCIPALS[token];
    if (principal === undefined) throw new Error('token-invalid');
    return principal;
  },
};

/** One alerting process: the `/alerts` namespace and the relay, on its own port, sharing the bus. */
async function startProcess(bus: InProcessBus, gatewayId: string): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    providers: [
      AlertsGateway,
      AlertUpdateRelay,
      { provide: AuthService, useValue: auth },
      // The app channel's alert pushes are not under test: connecting registers nothing.
      { provide: AppChannel, useValue: { connect: async () => undefined } },
      { provide: EVENT_BUS, useValue: bus },
      { provide: FIREIOT_CONFIG, useValue: loadConfig({ FIREIOT_GATEWAY_ID: gatewayId }) },
    ],
  }).compile();
  const app = moduleRef.createNestApplication();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

interface Client {
  readonly socket: Socket;
  readonly updates: AlertUpdatedPayload[];
  /** Resolves with the next `alert-updated` this client receives. */
  next(): Promise<AlertUpdatedPayload>;
}

function lifecycle(overrides: Partial<AlertLifecycle>): AlertLifecycle {
  return {
    alertId: 'a1e2c3d4-0000-4000-8000-000000000001',
    unitId: UNIT_A,
    type: 'received',
    at: '2025-11-22T03:14:10.000001Z',
    actor: PRINCIPALS['op1']?.userId ?? '',
    note: null,
    ...overrides,
  };
}

describe(AlertUpdateRelay.name, () => {
  let bus: InProcessBus;
  let processes: { app: INestApplication; url: string }[];
  const clients: Client[] = [];

  async function connect(url: string, token: string): Promise<Client> {
    const socket = io(`${url}/alerts`, { auth: { token }, transports: ['websocket'], reconnection: false });
    const updates: AlertUpdatedPayload[] = [];
    const waiting: ((u: AlertUpdatedPayload) => void)[] = [];
    socket.on(ALERT_UPDATED_EVENT, (update: AlertUpdatedPayload) => {
      updates.push(update);
      waiting.shift()?.(update);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const client: Client = {
      socket,
      updates,
      next: () => new Promise((resolve) => waiting.push(resolve)),
    };
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    bus = new InProcessBus();
    await bus.start();
    processes = [await startProcess(bus, 'alerting-1'), await startProcess(bus, 'alerting-2')];
  });
  afterAll(async () => {
    for (const c of clients) c.socket.close();
    await bus.close();
    for (const p of processes) await p.app.close();
  });

  it("pushes every lifecycle message to every process's operators and to the alert's unit, never to other units", async () => {
    const [one, two] = processes.map((p) => p.url) as [string, string];
    const op1 = await connect(one, 'op1');
    const op2 = await connect(two, 'op2');
    const a1 = await connect(two, 'a1');
    const b1 = await connect(one, 'b1');

    const step = lifecycle({ type: 'verified', note: '现场确认 smoke from cooking' });
    const received = Promise.all([op1.next(), op2.next(), a1.next()]);
    await bus.publish('fireiot.alerts.lifecycle.v1', 'uitd:889', step);
    expect(await received).toEqual([step, step, step]);

    // Unit B's user got nothing of unit A's: the first update it sees is its own unit's.
    const forB = lifecycle({ alertId: 'b1e2c3d4-0000-4000-8000-000000000002', unitId: UNIT_B, type: 'closed' });
    const bReceives = b1.next();
    await bus.publish('fireiot.alerts.lifecycle.v1', 'uitd:990', forB);
    expect(await bReceives).toEqual(forB);
    expect(b1.updates).toEqual([forB]);
    expect(a1.updates).toEqual([step]);
  });

  it('sends an update of an alert without a unit to operators only', async () => {
    const [op1, op2, a1, b1] = clients as [Client, Client, Client, Client];
    const orphan = lifecycle({ alertId: 'c1e2c3d4-0000-4000-8000-000000000003', unitId: null, type: 'confirmed' });
    const received = Promise.all([op1.next(), op2.next()]);
    await bus.publish('fireiot.alerts.lifecycle.v1', 'uitd:1', orphan);
    expect(await received).toEqual([orphan, orphan]);
    // Each unit user's next update is its own unit's: the one without a unit never reached them.
    const markerA = lifecycle({ alertId: 'd1e2c3d4-0000-4000-8000-000000000004', type: 'notified', note: '119' });
    const markerB = { ...markerA, alertId: 'e1e2c3d4-0000-4000-8000-000000000005', unitId: UNIT_B };
    const unitsReceive = Promise.all([a1.next(), b1.next()]);
    await bus.publish('fireiot.alerts.lifecycle.v1', 'uitd:889', markerA);
    await bus.publish('fireiot.alerts.lifecycle.v1', 'uitd:990', markerB);
    expect(await unitsReceive).toEqual([markerA, markerB]);
    expect(a1.updates.map((u) => u.alertId)).not.toContain(orphan.alertId);
    expect(b1.updates.map((u) => u.alertId)).not.toContain(orphan.alertId);
  });
});
