import { COMMAND, encodeFrame, frameChecksum, FRAME_OVERHEAD, type FrameInput } from '@fireiot/gb26875';
import { componentAt } from './component.catalog';

const OFF_SERIAL = 2;
const OFF_TIME = 6;
const OFF_SOURCE = 12;
const OFF_ADU = 27;

/**
 * Body size (without the time label) of the upload types whose objects carry a time label
 * (GB/T 26875.3 §8.3.1: types 1, 2, 3, 4, 21, 24; notes §3.2).
 */
const TIMED_BODY: Readonly<Record<number, number>> = { 1: 4, 2: 40, 3: 10, 4: 4, 21: 1, 24: 2 };

/**
 * A frame encoded once by the codec, then stamped many times: each `stamp` copies it and patches
 * only what changes from frame to frame — the serial number, the source address, the time labels
 * (the frame's and every object's) and the checksum (§7: sum of bytes 2 … 26+L, mod 256). That is
 * the load generator's hot path: one small copy and a ~50-byte sum per frame, no encoding.
 */
export class FrameTemplate {
  private constructor(
    private readonly bytes: Buffer,
    private readonly timeOffsets: readonly number[],
  ) {}

  /** Encodes `input` with the codec (serial, time and source are placeholders to be stamped). */
  static of(input: FrameInput): FrameTemplate {
    const bytes = encodeFrame(input);
    const offsets = [OFF_TIME];
    const aduLength = bytes.length - FRAME_OVERHEAD;
    const body = aduLength >= 2 ? TIMED_BODY[bytes[OFF_ADU] as number] : undefined;
    if (body !== undefined) {
      const count = bytes[OFF_ADU + 1] as number;
      // Only when every object carries its label (the codec also accepts objects without).
      if (aduLength === 2 + count * (body + 6)) {
        for (let i = 0; i < count; i++) offsets.push(OFF_ADU + 2 + i * (body + 6) + body);
      }
    }
    return new FrameTemplate(bytes, offsets);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** A new frame: this template with `serial`, the 6-byte `source` address and the 6-byte `time` label. */
  stamp(serial: number, source: Uint8Array, time: Uint8Array): Buffer {
    const n = this.bytes.length;
    const out = Buffer.allocUnsafe(n);
    this.bytes.copy(out, 0, 0, n);
    out[OFF_SERIAL] = serial & 0xff;
    out[OFF_SERIAL + 1] = (serial >>> 8) & 0xff;
    for (let i = 0; i < 6; i++) out[OFF_SOURCE + i] = source[i] as number;
    for (const at of this.timeOffsets) for (let i = 0; i < 6; i++) out[at + i] = time[i] as number;
    out[n - 3] = frameChecksum(out, 0, n - FRAME_OVERHEAD);
    return out;
  }
}

const PLACEHOLDER_TIME = '2000-01-01T00:00:00';
const TELEMETRY_VARIANTS = 8;

/**
 * The frames a device sends often, encoded once and shared by every device with the same
 * destination: the heartbeat (type 21, UITD state "normal", §8.3.1.9) and the telemetry set
 * (type 2 "normal" component states, §8.3.1.2, and type 3 temperatures, §8.3.1.3).
 */
export class UploadTemplates {
  readonly heartbeat: FrameTemplate;
  private readonly telemetry: readonly FrameTemplate[];

  constructor(destination: number, userVersion: number) {
    const frame = (adu: Readonly<Record<string, unknown>>) =>
      FrameTemplate.of({
        serial: 0,
        version: { major: 1, minor: userVersion },
        sentAt: PLACEHOLDER_TIME,
        source: 0,
        destination,
        command: COMMAND.SEND_DATA,
        adu,
      });
    this.heartbeat = frame({ type: 21, objects: [{ state: { flags: ['normal'] }, occurredAt: PLACEHOLDER_TIME }] });
    this.telemetry = Array.from({ length: TELEMETRY_VARIANTS }, (_, i) => {
      const c = componentAt(i);
      const component = {
        systemType: 1,
        systemAddress: 1,
        componentType: 40,
        componentAddress: { low16: c.point, high16: c.loop },
        occurredAt: PLACEHOLDER_TIME,
      };
      return i % 2 === 0
        ? frame({ type: 2, objects: [{ ...component, state: { flags: ['normal'] }, description: c.description }] })
        : frame({ type: 3, objects: [{ ...component, analogType: 3, rawValue: 200 + 5 * i }] }); // 20.5 °C …
    });
  }

  /** The n-th telemetry frame of the rotation. */
  telemetryAt(n: number): FrameTemplate {
    return this.telemetry[n % TELEMETRY_VARIANTS] as FrameTemplate;
  }
}
