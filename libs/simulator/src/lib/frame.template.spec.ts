import { decodeFrame, encodeFrame } from '@fireiot/gb26875';
import { FrameTemplate, UploadTemplates } from './frame.template';
import { addressBytes } from './simulator.options';

const TIME = Uint8Array.from([5, 4, 3, 2, 1, 24]); // 2024-01-02T03:04:05

describe(FrameTemplate.name, () => {
  it('stamps serial, source, every time label and the checksum exactly as the codec would encode them', () => {
    const input = (serial: number, source: number, sentAt: string) => ({
      serial,
      sentAt,
      source,
      destination: 77,
      command: 2,
      adu: {
        type: 3,
        objects: [
          {
            systemType: 1,
            systemAddress: 1,
            componentType: 40,
            componentAddress: { value: 9 },
            analogType: 3,
            rawValue: 250,
            occurredAt: sentAt,
          },
          {
            systemType: 1,
            systemAddress: 2,
            componentType: 30,
            componentAddress: { value: 7 },
            analogType: 3,
            rawValue: -15,
            occurredAt: sentAt,
          },
        ],
      },
    });
    const template = FrameTemplate.of(input(0, 0, '2000-01-01T00:00:00'));
    const stamped = template.stamp(0xabcd, addressBytes(889), TIME);
    expect(stamped.toString('hex')).toBe(encodeFrame(input(0xabcd, 889, '2024-01-02T03:04:05')).toString('hex'));
    expect(template.length).toBe(stamped.length);
  });

  it('leaves the template intact: each stamp is a new buffer', () => {
    const template = FrameTemplate.of({
      serial: 0,
      sentAt: '2000-01-01T00:00:00',
      source: 0,
      destination: 0,
      command: 2,
    });
    const a = template.stamp(1, addressBytes(1), TIME);
    const b = template.stamp(2, addressBytes(2), TIME);
    expect(a.equals(b)).toBe(false);
    expect(decodeFrame(a)).toMatchObject({ ok: true, frame: { serial: 1, source: { value: '1' }, adu: null } });
  });
});

describe(UploadTemplates.name, () => {
  it('has a type-21 heartbeat and a rotation of valid type-2 and type-3 telemetry frames', () => {
    const t = new UploadTemplates(0, 1);
    const heartbeat = decodeFrame(t.heartbeat.stamp(1, addressBytes(889), TIME));
    expect(heartbeat).toMatchObject({
      ok: true,
      frame: { adu: { type: { code: 21 } }, sentAt: '2024-01-02T03:04:05' },
    });
    const types = Array.from({ length: 8 }, (_, i) => {
      const r = decodeFrame(t.telemetryAt(i).stamp(i, addressBytes(889), TIME));
      if (!r.ok) throw r.error;
      return r.frame.adu?.type.code;
    });
    expect(types).toEqual([2, 3, 2, 3, 2, 3, 2, 3]);
  });
});
