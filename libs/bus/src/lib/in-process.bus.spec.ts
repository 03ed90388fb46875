import { describeBusContract } from './bus-contract.test-util';
import { InProcessBus } from './in-process.bus';

describeBusContract(InProcessBus.name, async () => {
  const bus = new InProcessBus();
  await bus.start();
  return { bus, publishRaw: (topic, key, json) => bus.publishRaw(topic, key, json), ready: async () => undefined };
});

describe(InProcessBus.name, () => {
  it('makes a publisher wait while a group is at its high-water mark (backpressure)', async () => {
    const bus = new InProcessBus({ highWaterMark: 10 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe('fireiot.device.presence.v1', 'slow', async () => gate);
    const presence = {
      deviceKey: 'uitd:1',
      deviceId: null,
      event: 'heartbeat' as const,
      at: '2026-11-22T03:00:00.000000Z',
      gatewayId: 'g',
    };
    for (let i = 0; i < 11; i++) await bus.publish('fireiot.device.presence.v1', 'uitd:1', presence);
    let published = false;
    const late = bus.publish('fireiot.device.presence.v1', 'uitd:1', presence).then(() => (published = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(published).toBe(false);
    release();
    await late;
    expect(published).toBe(true);
    await bus.close();
  });
});
