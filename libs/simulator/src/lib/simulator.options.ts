/** The largest GB/T 26875.3 address: 6 bytes, little-endian (§7, Table 1). */
export const MAX_ADDRESS = 0xffff_ffff_ffff;

/** How one simulated UITD behaves. Times in milliseconds, rates per second. */
export interface UitdBehaviour {
  /** Destination address of its uploads, as a decimal string or number; default "0". */
  readonly destination?: string | number;
  /** Interval of the heartbeat (a type-21 "normal" UITD state upload); 0 = none. Default 30,000. */
  readonly heartbeatIntervalMs?: number;
  /** Upload its state right after connecting, as UITDs do. Default true. */
  readonly heartbeatOnConnect?: boolean;
  /**
   * Time to wait for a confirm before retransmitting (GB/T 26875.3 §6.5: "no more than 10 s").
   * Default 10,000.
   */
  readonly confirmTimeoutMs?: number;
  /** Retransmissions before an upload counts as failed (§6.5: "should be 3"). Default 3. */
  readonly retries?: number;
  /**
   * §6 says a UITD also retransmits after a deny; by default a deny settles the upload as
   * denied (a simulator resending the same bytes would only be denied again). Default false.
   */
  readonly retryOnDeny?: boolean;
  /** Telemetry is not sent while this many uploads of the device await their confirm. Default 64. */
  readonly maxInFlight?: number;
  /** Answer patrols (type 81, 巡检); false simulates a device missing them. Default true. */
  readonly answerPatrols?: boolean;
  /** Answer duty checks (type 91, 查岗); false simulates nobody at the panel. Default true. */
  readonly answerDutyChecks?: boolean;
  /** Delay of the operator's duty-check answer (a type-24 upload) after a duty check by command 1. Default 0. */
  readonly dutyCheckAnswerDelayMs?: number;
  /** Reconnect this long after the connection is lost or refused; 0 = never. Default 0. */
  readonly reconnectDelayMs?: number;
  /** Give up a connection attempt after this long. Default 10,000. */
  readonly connectTimeoutMs?: number;
  /** The zone of its time labels, minutes east of UTC (naive local time; Asia/Shanghai = 480). */
  readonly utcOffsetMinutes?: number;
  /** The user version byte of its frames (the main version is fixed at 1). Default 1. */
  readonly userVersion?: number;
}

export interface UitdOptions extends UitdBehaviour {
  /** The centre's host; default 127.0.0.1. */
  readonly host?: string;
  readonly port: number;
  /** The device's GB/T 26875.3 source address, a 48-bit number (decimal string or number). */
  readonly address: string | number;
  /** Telemetry frames per second from this device alone (a timer of its own); default 0. */
  readonly telemetryRate?: number;
}

export interface SwarmOptions extends UitdBehaviour {
  readonly host?: string;
  readonly port: number;
  /** Number of devices. Default 10. */
  readonly devices?: number;
  /** Address of the first device; the others follow consecutively. Default 100,000. */
  readonly addressBase?: string | number;
  /** New connections per second while ramping up. Default 2,000. */
  readonly connectRate?: number;
  /** Fire alarms per second across the swarm, each from a random connected device. Default 0. */
  readonly fireRate?: number;
  /** Faults per second across the swarm, each from a random connected device. Default 0. */
  readonly faultRate?: number;
  /** Telemetry frames per second across the swarm, round-robin over connected devices. Default 0. */
  readonly telemetryRate?: number;
  /** How long `run()` lasts, ramp-up included; 0 = until its signal aborts. Default 0. */
  readonly durationMs?: number;
}

export interface ResolvedBehaviour {
  readonly destination: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatOnConnect: boolean;
  readonly confirmTimeoutMs: number;
  readonly retries: number;
  readonly retryOnDeny: boolean;
  readonly maxInFlight: number;
  readonly answerPatrols: boolean;
  readonly answerDutyChecks: boolean;
  readonly dutyCheckAnswerDelayMs: number;
  readonly reconnectDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly utcOffsetMinutes: number;
  readonly userVersion: number;
}

export interface ResolvedUitdOptions extends ResolvedBehaviour {
  readonly host: string;
  readonly port: number;
  readonly address: number;
  readonly telemetryRate: number;
}

export interface ResolvedSwarmOptions extends ResolvedBehaviour {
  readonly host: string;
  readonly port: number;
  readonly devices: number;
  readonly addressBase: number;
  readonly connectRate: number;
  readonly fireRate: number;
  readonly faultRate: number;
  readonly telemetryRate: number;
  readonly durationMs: number;
}

function number(
  name: string,
  value: number | undefined,
  dflt: number,
  min: number,
  max: number,
  integer = true,
): number {
  const v = value ?? dflt;
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${v}`);
  }
  return v;
}

/** A GB/T 26875.3 address given as a decimal string or a number → its value (0 … 2^48 − 1). */
export function parseAddress(name: string, value: string | number): number {
  const v = typeof value === 'number' ? value : /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(v) || v < 0 || v > MAX_ADDRESS) {
    throw new RangeError(`${name} must be a 48-bit address (0 to ${MAX_ADDRESS}), not ${String(value)}`);
  }
  return v;
}

/** The 6 wire bytes of an address (little-endian). */
export function addressBytes(address: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntLE(address, 0, 6);
  return b;
}

const DAY = 86_400_000;

function resolveBehaviour(o: UitdBehaviour): ResolvedBehaviour {
  return {
    destination: parseAddress('destination', o.destination ?? 0),
    heartbeatIntervalMs: number('heartbeatIntervalMs', o.heartbeatIntervalMs, 30_000, 0, DAY),
    heartbeatOnConnect: o.heartbeatOnConnect ?? true,
    confirmTimeoutMs: number('confirmTimeoutMs', o.confirmTimeoutMs, 10_000, 1, 600_000),
    retries: number('retries', o.retries, 3, 0, 100),
    retryOnDeny: o.retryOnDeny ?? false,
    maxInFlight: number('maxInFlight', o.maxInFlight, 64, 1, 60_000),
    answerPatrols: o.answerPatrols ?? true,
    answerDutyChecks: o.answerDutyChecks ?? true,
    dutyCheckAnswerDelayMs: number('dutyCheckAnswerDelayMs', o.dutyCheckAnswerDelayMs, 0, 0, DAY),
    reconnectDelayMs: number('reconnectDelayMs', o.reconnectDelayMs, 0, 0, DAY),
    connectTimeoutMs: number('connectTimeoutMs', o.connectTimeoutMs, 10_000, 1, DAY),
    utcOffsetMinutes: number('utcOffsetMinutes', o.utcOffsetMinutes, 480, -720, 840),
    userVersion: number('userVersion', o.userVersion, 1, 0, 255),
  };
}

/** Defaults filled in and every value checked; throws a RangeError naming the bad option. */
export function resolveUitdOptions(o: UitdOptions): ResolvedUitdOptions {
  return {
    ...resolveBehaviour(o),
    host: o.host ?? '127.0.0.1',
    port: number('port', o.port, 0, 1, 65_535),
    address: parseAddress('address', o.address),
    telemetryRate: number('telemetryRate', o.telemetryRate, 0, 0, 1_000_000, false),
  };
}

export function resolveSwarmOptions(o: SwarmOptions): ResolvedSwarmOptions {
  const devices = number('devices', o.devices, 10, 1, 1_000_000);
  const addressBase = parseAddress('addressBase', o.addressBase ?? 100_000);
  if (addressBase + devices - 1 > MAX_ADDRESS) {
    throw new RangeError(`addressBase ${addressBase} + ${devices} devices exceeds the 48-bit address space`);
  }
  return {
    ...resolveBehaviour(o),
    host: o.host ?? '127.0.0.1',
    port: number('port', o.port, 0, 1, 65_535),
    devices,
    addressBase,
    connectRate: number('connectRate', o.connectRate, 2_000, 1, 1_000_000, false),
    fireRate: number('fireRate', o.fireRate, 0, 0, 1_000_000, false),
    faultRate: number('faultRate', o.faultRate, 0, 0, 1_000_000, false),
    telemetryRate: number('telemetryRate', o.telemetryRate, 0, 0, 10_000_000, false),
    durationMs: number('durationMs', o.durationMs, 0, 0, 365 * DAY),
  };
}
