import { Logger } from '@nestjs/common';
import { COMMAND, encodeFrame, Frame, FrameInput, timeLabelFromDate } from '@fireiot/gb26875';
import { GatewayError } from '../gateway.error';
import { DeviceConnection } from './device-connection';

/** A request to a connected device: an ADU (type 81 patrol query, 90 clock sync, 91 duty check…). */
export interface DownlinkRequest {
  /** GB/T 26875.3 command: 4 (request) for queries, 1 (control) for clock sync and commands. */
  readonly command: typeof COMMAND.CONTROL | typeof COMMAND.REQUEST;
  readonly adu: { readonly type: number; readonly objects: readonly Readonly<Record<string, unknown>>[] };
}

export interface DownlinkOptions {
  /** GB/T 26875.3 §6.4: the wait for an answer, at most 10 s. */
  readonly timeoutMs?: number;
  /** Retransmissions after the first attempt (the standard's 3). */
  readonly retries?: number;
}

interface Waiter {
  readonly resolve: (frame: Frame) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Platform-to-device requests over the device's live connection, each matched to its answer by
 * serial number (GB/T 26875.3 §6.2–6.4): the device responds (command 5) to a request, or
 * confirms (3) / denies (6) a control frame. No answer within the timeout → the identical frame
 * is sent again, up to 3 times; then `downlink-timeout`.
 */
export class DownlinkService {
  private readonly logger = new Logger(DownlinkService.name);
  private readonly connections = new Map<string, DeviceConnection>();
  private readonly waiting = new Map<string, Waiter>();
  private readonly serials = new Map<string, number>();
  private stopped = false;

  constructor(private readonly platformAddress = '0') {}

  attach(deviceKey: string, conn: DeviceConnection): DeviceConnection | undefined {
    const previous = this.connections.get(deviceKey);
    this.connections.set(deviceKey, conn);
    return previous === conn ? undefined : previous;
  }

  detach(deviceKey: string, conn: DeviceConnection): void {
    if (this.connections.get(deviceKey) !== conn) return;
    this.connections.delete(deviceKey);
    // No answer can come over a closed connection: fail its requests now, not after every retry.
    const prefix = `${deviceKey}#`;
    for (const [key, waiter] of this.waiting) {
      if (key.startsWith(prefix)) waiter.reject(new GatewayError('connection-closed', `${deviceKey} disconnected`));
    }
  }

  isConnected(deviceKey: string): boolean {
    return this.connections.has(deviceKey);
  }

  get connectedDevices(): number {
    return this.connections.size;
  }

  async request(deviceKey: string, request: DownlinkRequest, options: DownlinkOptions = {}): Promise<Frame> {
    if (this.stopped) throw new GatewayError('shutting-down', 'the gateway is stopping');
    const timeoutMs = Math.min(options.timeoutMs ?? 10_000, 10_000);
    const retries = options.retries ?? 3;
    const conn = this.connections.get(deviceKey);
    if (!conn?.device) throw new GatewayError('device-not-connected', `${deviceKey} is not connected`);
    const serial = this.nextSerial(deviceKey);
    let bytes: Buffer;
    try {
      const input: FrameInput = {
        serial,
        version: { major: 1, minor: 0 },
        sentAt: timeLabelFromDate(new Date()),
        source: { value: this.platformAddress },
        destination: { value: conn.device.address },
        command: { code: request.command },
        adu: { type: { code: request.adu.type }, objects: request.adu.objects },
      };
      bytes = encodeFrame(input);
    } catch (error) {
      throw new GatewayError('invalid-downlink', `cannot encode the request: ${String(error)}`, { cause: error });
    }
    const key = `${deviceKey}#${serial}`;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const live = this.connections.get(deviceKey);
      if (!live) throw new GatewayError('device-not-connected', `${deviceKey} disconnected`);
      const answer = new Promise<Frame>((resolve, reject) => this.waiting.set(key, { resolve, reject }));
      live.write(bytes);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
      try {
        const frame = await Promise.race([answer, timeout]);
        if (frame === null) continue;
        if (frame.command.code === COMMAND.DENY) {
          throw new GatewayError('downlink-denied', `${deviceKey} denied request ${serial}`);
        }
        return frame;
      } finally {
        clearTimeout(timer);
        this.waiting.delete(key);
      }
    }
    this.logger.warn({ msg: 'downlink unanswered', deviceKey, serial, attempts: retries + 1 });
    throw new GatewayError(
      'downlink-timeout',
      `${deviceKey} did not answer request ${serial} (${retries + 1} attempts)`,
    );
  }

  /** A confirm, deny or response from a device: settles the request with its serial, if any. */
  settle(deviceKey: string, frame: Frame): void {
    this.waiting.get(`${deviceKey}#${frame.serial}`)?.resolve(frame);
  }

  stop(): void {
    this.stopped = true;
    for (const waiter of this.waiting.values())
      waiter.reject(new GatewayError('shutting-down', 'the gateway is stopping'));
    this.waiting.clear();
  }

  private nextSerial(deviceKey: string): number {
    const next = ((this.serials.get(deviceKey) ?? Math.floor(Math.random() * 0xffff)) + 1) & 0xffff;
    this.serials.set(deviceKey, next);
    return next;
  }
}
