import { eventually } from '@fireiot/testing';
import { randomUUID } from 'node:crypto';
import { FrameReceived, TopicName } from '@fireiot/events';
import { BusError } from './bus.error';
import { DeliveryMeta, EventBus } from './event-bus.port';

/**
 * The behaviour every `EventBus` adapter must have. Each adapter's spec calls
 * `describeBusContract` with a factory; the same assertions then run against the in-process
 * bus and against Kafka (librdkafka's mock cluster).
 *
 * Tests share a bus instance's topics, so each test tags its messages with its own
 * `gatewayId` and ignores messages of others.
 */
export interface BusUnderTest {
  bus: EventBus;
  /** Puts bytes on a topic behind the producer-side validation. */
  publishRaw(topic: TopicName, key: string, json: string): Promise<void>;
  /** After subscribing: resolves once the subscriptions receive new messages. */
  ready(): Promise<void>;
}

export function sampleFrame(gatewayId: string, deviceKey: string, n: number, fire = false): FrameReceived {
  return {
    rawId: String(n + 1),
    deviceKey,
    deviceId: null,
    receivedAt: '2026-11-22T03:00:00.123456Z',
    gatewayId,
    frame: {
      serial: n & 0xffff,
      version: { major: 1, minor: 0 },
      sentAt: '2026-11-22T11:00:00',
      source: { hex: '790300000000', value: '889' },
      destination: { hex: '000000000000', value: '0' },
      command: { code: 2, name: 'send-data' },
      adu: {
        type: { code: 2, name: 'component-state' },
        objects: [{ state: { raw: fire ? 2 : 1, flags: [fire ? 'fire-alarm' : 'normal'] } }],
        raw: '0201',
      },
    },
  };
}

/** Tests share topics: wraps a handler so it sees only the messages of this test's `run`. */
export function ownMessages<M extends { gatewayId: string }>(
  run: string,
  handler: (message: M, meta: DeliveryMeta) => Promise<void>,
): (message: M, meta: DeliveryMeta) => Promise<void> {
  return async (message, meta) => {
    if (message.gatewayId === run) await handler(message, meta);
  };
}

export function describeBusContract(
  adapterName: string,
  create: () => Promise<BusUnderTest>,
  options: { timeoutMs?: number } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 10_000;

  describe(`EventBus contract: ${adapterName}`, () => {
    let t: BusUnderTest;
    let run: string;

    beforeEach(async () => {
      t = await create();
      run = randomUUID();
    });
    afterEach(async () => {
      await t.bus.close();
    });

    it('delivers a published message, validated, to a subscriber', async () => {
      const got: FrameReceived[] = [];
      await t.bus.subscribe('fireiot.ingest.frames.v1', `g-${run}`, async (m) => {
        if (m.gatewayId === run) got.push(m);
      });
      await t.ready();
      const sent = sampleFrame(run, 'uitd:889', 1);
      await t.bus.publish('fireiot.ingest.frames.v1', 'uitd:889', sent);
      await eventually(() => got.length === 1, 'delivery', timeoutMs);
      expect(got[0]).toEqual(sent);
    });

    it('refuses to publish a message that breaks its topic schema', async () => {
      const bad = { ...sampleFrame(run, 'uitd:889', 1), receivedAt: 'yesterday' };
      await expect(t.bus.publish('fireiot.ingest.frames.v1', 'uitd:889', bad)).rejects.toMatchObject({
        code: 'invalid-message',
      });
      await expect(t.bus.publish('fireiot.ingest.frames.v1', 'uitd:889', bad)).rejects.toBeInstanceOf(BusError);
    });

    it('drops an invalid message on the consumer side and goes on with the next one', async () => {
      const got: FrameReceived[] = [];
      await t.bus.subscribe('fireiot.ingest.frames.v1', `g-${run}`, async (m) => {
        if (m.gatewayId === run) got.push(m);
      });
      await t.ready();
      const before = t.bus.stats().rejected;
      await t.publishRaw('fireiot.ingest.frames.v1', 'uitd:1', '{"not":"a frame"}');
      await t.publishRaw('fireiot.ingest.frames.v1', 'uitd:1', 'not json at all');
      await t.bus.publish('fireiot.ingest.frames.v1', 'uitd:1', sampleFrame(run, 'uitd:1', 7));
      await eventually(() => got.length === 1, 'the valid message', timeoutMs);
      expect(got[0]?.rawId).toBe('8');
      expect(t.bus.stats().rejected - before).toBe(2);
    });

    it('keeps the order of each key', async () => {
      const seen = new Map<string, number[]>();
      await t.bus.subscribe(
        'fireiot.ingest.frames.v1',
        `g-${run}`,
        ownMessages(run, async (m: FrameReceived) => {
          const list = seen.get(m.deviceKey) ?? [];
          list.push(m.frame.serial);
          seen.set(m.deviceKey, list);
        }),
      );
      await t.ready();
      const keys = ['uitd:1', 'uitd:2', 'uitd:3', 'uitd:4', 'uitd:5'];
      const sends: Promise<void>[] = [];
      for (let n = 0; n < 200; n++) {
        const key = keys[n % keys.length] as string;
        sends.push(t.bus.publish('fireiot.ingest.frames.v1', key, sampleFrame(run, key, n)));
      }
      await Promise.all(sends);
      await eventually(() => [...seen.values()].reduce((s, l) => s + l.length, 0) === 200, 'all 200', timeoutMs);
      for (const list of seen.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
      expect(seen.size).toBe(5);
    });

    it('gives every group all messages, and each message to one member of a group', async () => {
      const a: number[] = [];
      const b1: number[] = [];
      const b2: number[] = [];
      const mine = (list: number[]) => async (m: FrameReceived) => {
        if (m.gatewayId === run) list.push(m.frame.serial);
      };
      await t.bus.subscribe('fireiot.ingest.frames.v1', `a-${run}`, mine(a));
      await t.bus.subscribe('fireiot.ingest.frames.v1', `b-${run}`, mine(b1));
      await t.bus.subscribe('fireiot.ingest.frames.v1', `b-${run}`, mine(b2));
      await t.ready();
      for (let n = 0; n < 40; n++) {
        await t.bus.publish('fireiot.ingest.frames.v1', `uitd:${n}`, sampleFrame(run, `uitd:${n}`, n));
      }
      await eventually(() => a.length === 40 && b1.length + b2.length === 40, 'both groups', timeoutMs);
      expect([...b1, ...b2].sort((x, y) => x - y)).toEqual([...a].sort((x, y) => x - y));
    });

    it('hands a fire alarm over while a telemetry backlog is still being worked off', async () => {
      let bulkDone = 0;
      let bulkDoneWhenFireArrived = -1;
      await t.bus.subscribe(
        'fireiot.ingest.frames.v1',
        `bulk-${run}`,
        ownMessages(run, async () => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          bulkDone++;
        }),
      );
      await t.bus.subscribe('fireiot.ingest.fire-alarms.v1', `fire-${run}`, async (m) => {
        if (m.gatewayId === run) bulkDoneWhenFireArrived = bulkDone;
      });
      await t.ready();
      const backlog = 1000;
      const sends: Promise<void>[] = [];
      for (let n = 0; n < backlog; n++) {
        sends.push(t.bus.publish('fireiot.ingest.frames.v1', 'uitd:7', sampleFrame(run, 'uitd:7', n)));
      }
      await Promise.all(sends);
      await t.bus.publish('fireiot.ingest.fire-alarms.v1', 'uitd:8', sampleFrame(run, 'uitd:8', 0, true));
      await eventually(() => bulkDoneWhenFireArrived >= 0, 'the fire alarm', timeoutMs);
      // The backlog needs ≥ 2 s; the alarm must not have waited for it.
      expect(bulkDoneWhenFireArrived).toBeLessThan(backlog / 2);
    });

    it('refuses to publish after close', async () => {
      await t.bus.close();
      await expect(
        t.bus.publish('fireiot.ingest.frames.v1', 'uitd:1', sampleFrame(run, 'uitd:1', 1)),
      ).rejects.toMatchObject({ code: 'closed' });
    });
  });
}
