import {
  buildConfirm,
  buildDeny,
  COMMAND,
  decodeFrame,
  encodeFrame,
  type ComponentRefObject,
  type Frame,
  type SyncClockObject,
  type SystemRefObject,
  timeLabelToDate,
} from '@fireiot/gb26875';

/** What a simulated UITD knows when it answers the centre. */
export interface DownlinkDevice {
  /** Its source address. */
  readonly address: number;
  /** The user version byte of its frames. */
  readonly userVersion: number;
  /** Its clock now, as a time label. */
  readonly now: string;
  /** Its UITD running state (Fig. 13; bit 0 = normal monitoring). */
  readonly uitdState: number;
  readonly answerPatrols: boolean;
  readonly answerDutyChecks: boolean;
}

/** How a downlink frame was handled; one counter each in `SimulatorStats.downlink`. */
export type DownlinkOutcome =
  | 'patrol'
  | 'patrol-ignored'
  | 'duty-check'
  | 'duty-check-ignored'
  | 'clock-sync'
  | 'init'
  | 'read'
  | 'denied'
  | 'ignored';

export interface DownlinkPlan {
  readonly outcome: DownlinkOutcome;
  /** The frame to write back now (confirm, response or deny), if any. */
  readonly reply: Buffer | null;
  /** Type 90: the time label the device's clock is set to. */
  readonly setClockTo?: string;
  /** A duty check sent as a control command: the operator's answer follows as an upload (type 24, bit 5). */
  readonly uploadDutyCheckAnswer?: boolean;
}

const SOFTWARE_VERSION = { major: 1, minor: 0 };
const SMOKE_DETECTOR = 40;
const UITD_DESCRIPTION = 'fireiot 模拟用户信息传输装置';
const SYSTEM_DESCRIPTION = 'fireiot 模拟火灾报警系统';

/**
 * The answer of a UITD to a frame from the centre that is not a reply to one of its uploads
 * (those, commands 3 and 6, are matched to the uploads by serial before this is called).
 *
 * GB/T 26875.3 §6: control (command 1) is send/confirm — the UITD checks and executes it, then
 * confirms (3) or denies (6); a query (command 4) is request/response — the UITD answers with a
 * response (5) carrying the data, with the request's serial number, or denies (6). Which ADU type
 * answers which read is the pairing of Table 3 (notes §2, §5):
 *
 * | request type (command 4)          | response (command 5) type             |
 * | --------------------------------- | ------------------------------------- |
 * | 61 read system state              | 1  system state, per system asked     |
 * | 62 read component state           | 2  component state, per component     |
 * | 63 read component analog values   | 3  analog value, per component        |
 * | 64 read system operation records  | 4  (no records)                       |
 * | 65 read system software version   | 5                                     |
 * | 66 read system configuration      | 6                                     |
 * | 67 read component configuration   | 7                                     |
 * | 68 read system time               | 8                                     |
 * | 81 read UITD state — the patrol   | 21 UITD running state                 |
 * | 84 read UITD operation records    | 24 (no records)                       |
 * | 85 read UITD software version     | 25                                    |
 * | 86 read UITD configuration        | 26                                    |
 * | 88 read UITD time                 | 28                                    |
 *
 * Types 89 (initialise), 90 (sync clock) and 91 (duty check 查岗) are commands; centres send them
 * with command 1 or command 4 (notes §2). With command 1 they are confirmed (3); with command 4
 * they are answered with the type that reports their effect: 89 → 21 (state after init),
 * 90 → 28 (the clock as set), 91 → 24 with bit 5, the duty-check answer 查岗应答 (§8.2.1.9 Fig. 14).
 * A duty check by command 1 is confirmed at once and answered by a type-24 upload (notes §5).
 *
 * Frames that fail the §6.5.3 checks beyond framing (a truncated object…), unknown or upload
 * types in a request, and user-defined commands are denied. Uploads (2) and responses (5) sent to
 * a UITD make no sense and are ignored.
 */
export function planDownlink(bytes: Buffer, device: DownlinkDevice): DownlinkPlan {
  const command = bytes[26] as number;
  if (command === COMMAND.SEND_DATA || command === COMMAND.RESPONSE) return { outcome: 'ignored', reply: null };
  if (command !== COMMAND.CONTROL && command !== COMMAND.REQUEST) return deny(bytes, device);
  const decoded = decodeFrame(bytes);
  if (!decoded.ok || decoded.frame.adu === null) return deny(bytes, device);
  const frame = decoded.frame;
  const adu = decoded.frame.adu;
  const control = command === COMMAND.CONTROL;
  // The decoder gives each type code its own object shape (frame.model.ts, AduObjectByType).
  const systems = adu.objects as readonly SystemRefObject[];
  const components = adu.objects as readonly ComponentRefObject[];
  switch (adu.type.code) {
    case 89: // initialise UITD (§8.3.2.14)
      return control
        ? { outcome: 'init', reply: buildConfirm(bytes, device.now) }
        : respond('init', frame, device, 21, [{ state: { raw: 1 }, occurredAt: device.now }]);
    case 90: {
      // synchronise UITD clock (§8.3.2.15): the centre's time becomes the device's
      const time = (adu.objects as readonly SyncClockObject[])[0]?.systemTime;
      if (time === undefined || timeLabelToDate(time) === null) return deny(bytes, device); // not a real time
      const synced = { ...device, now: time };
      return control
        ? { outcome: 'clock-sync', reply: buildConfirm(bytes, time), setClockTo: time }
        : { ...respond('clock-sync', frame, synced, 28, [{ systemTime: time }]), setClockTo: time };
    }
    case 91: // duty check 查岗 (§8.3.2.16)
      if (control) {
        return {
          outcome: device.answerDutyChecks ? 'duty-check' : 'duty-check-ignored',
          reply: buildConfirm(bytes, device.now),
          uploadDutyCheckAnswer: device.answerDutyChecks,
        };
      }
      return device.answerDutyChecks
        ? respond('duty-check', frame, device, 24, [dutyCheckAnswer(device.now)])
        : { outcome: 'duty-check-ignored', reply: null };
  }
  if (control) return deny(bytes, device); // no other type is a control command
  const now = device.now;
  switch (adu.type.code) {
    case 81: // read UITD running state (§8.3.2.9): the patrol 巡检
      return device.answerPatrols
        ? respond('patrol', frame, device, 21, [{ state: { raw: device.uitdState }, occurredAt: now }])
        : { outcome: 'patrol-ignored', reply: null };
    case 61:
      return read(
        frame,
        device,
        1,
        systems.map((o) => ({ ...system(o), state: { raw: 1 }, occurredAt: now })),
      );
    case 62:
      return read(
        frame,
        device,
        2,
        components.map((o) => ({ ...component(o), state: { raw: 1 }, description: '', occurredAt: now })),
      );
    case 63: // 25.0 °C everywhere
      return read(
        frame,
        device,
        3,
        components.map((o) => ({ ...component(o), analogType: 3, rawValue: 250, occurredAt: now })),
      );
    case 64:
      return read(frame, device, 4, []);
    case 65:
      return read(
        frame,
        device,
        5,
        systems.map((o) => ({ ...system(o), softwareVersion: SOFTWARE_VERSION })),
      );
    case 66:
      return read(
        frame,
        device,
        6,
        systems.map((o) => ({ ...system(o), description: SYSTEM_DESCRIPTION })),
      );
    case 67:
      return read(
        frame,
        device,
        7,
        components.map((o) => ({ ...component(o), description: '' })),
      );
    case 68:
      return read(
        frame,
        device,
        8,
        systems.map((o) => ({ ...system(o), systemTime: now })),
      );
    case 84:
      return read(frame, device, 24, []);
    case 85:
      return read(frame, device, 25, [{ softwareVersion: SOFTWARE_VERSION }]);
    case 86:
      return read(frame, device, 26, [{ description: UITD_DESCRIPTION }]);
    case 88:
      return read(frame, device, 28, [{ systemTime: now }]);
    default:
      return deny(bytes, device);
  }
}

/** The object of a type-24 upload or response: the operator pressed the duty-check answer key. */
export function dutyCheckAnswer(now: string): Record<string, unknown> {
  return { operations: ['duty-check-answer'], operator: 1, occurredAt: now };
}

function deny(bytes: Buffer, device: DownlinkDevice): DownlinkPlan {
  return { outcome: 'denied', reply: buildDeny(bytes, device.now) };
}

function system(o: SystemRefObject): { systemType: number; systemAddress: number } {
  return { systemType: o.systemType.code, systemAddress: o.systemAddress };
}

/** A read request names no component type (§8.3.2.2): the simulated panel has smoke detectors only. */
function component(o: ComponentRefObject): Record<string, unknown> {
  return { ...system(o), componentType: SMOKE_DETECTOR, componentAddress: { value: o.componentAddress.value } };
}

function read(
  request: Frame,
  device: DownlinkDevice,
  type: number,
  objects: readonly Record<string, unknown>[],
): DownlinkPlan {
  return respond('read', request, device, type, objects);
}

/**
 * A response (command 5) to `request`: the request's serial number (§6, request/response),
 * addressed back to its source, with the device's clock as time label.
 */
function respond(
  outcome: DownlinkOutcome,
  request: Frame,
  device: DownlinkDevice,
  type: number,
  objects: readonly Record<string, unknown>[],
): DownlinkPlan {
  const reply = encodeFrame({
    serial: request.serial,
    version: { major: 1, minor: device.userVersion },
    sentAt: device.now,
    source: device.address,
    destination: { hex: request.source.hex },
    command: COMMAND.RESPONSE,
    adu: { type, objects },
  });
  return { outcome, reply };
}
