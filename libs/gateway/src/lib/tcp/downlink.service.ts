import { Logger } from '@nestjs/common';
import { ReceiveTime } from '@fireiot/events';
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
  /** Withdraws the request: it rejects with `aborted` and is not sent again. */
  readonly signal?: AbortSignal;
  /** Called after each transmission is written: the request's serial and the transmission's number (1 = first). */
  readonly onTransmit?: (serial: number, transmission: number) => void;
}

/** A request and its answer. */
export interface DownlinkExchange {
  /** The device's answer: a response (5), a confirm (3) or a deny (6). */
  readonly frame: Frame;
  /** The request's serial number (the answer carries it too). */
  readonly serial: number;
  /** Transmissions made (1 + retransmissions). */
  readonly transmissions: number;
  /** When the answer was read from the socket, if the ingest path said so. */
  readonly answeredAt: ReceiveTime | null;
}

interface Answer {
  readonly frame: Frame;
  readonly at: ReceiveTime | null;
}

interface Waiter {
  readonly resolve: (answer: Answer) => void;
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

  /** Sends `request` and resolves with the answer; a deny rejects with `downlink-denied`. */
  async request(deviceKey: string, request: DownlinkRequest, options: DownlinkOptions = {}): Promise<Frame> {
    const exchange = await this.exchange(deviceKey, request, options);
    if (exchange.frame.command.code === COMMAND.DENY) {
      throw new GatewayError('downlink-denied', `${deviceKey} denied request ${exchange.serial}`);
    }
    return exchange.frame;
  }

  /**
   * Sends `request` and resolves with whatever answer the device gives (a deny included), with
   * the serial, the transmissions made and the answer's receive time. Rejects with
   * `downlink-timeout` after the retries, `connection-closed` / `device-not-connected` when the
   * link goes, `shutting-down`, or `aborted` (the caller's signal).
   */
  async exchange(
    deviceKey: string,
    request: DownlinkRequest,
    options: DownlinkOptions = {},
  ): Promise<DownlinkExchange> {
    if (this.stopped) throw new GatewayError('shutting-down', 'the gateway is stopping');
    const timeoutMs = Math.min(options.timeoutMs ?? 10_000, 10_000);
    const retries = options.retries ?? 3;
    const signal = options.signal;
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
    const aborted = (): GatewayError => new GatewayError('aborted', `request ${serial} to ${deviceKey} withdrawn`);
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (signal?.aborted) throw aborted();
      const live = this.connections.get(deviceKey);
      if (!live) throw new GatewayError('device-not-connected', `${deviceKey} disconnected`);
      let waiter: Waiter | undefined;
      const answer = new Promise<Answer>((resolve, reject) => {
        waiter = { resolve, reject };
        this.waiting.set(key, waiter);
      });
      const onAbort = (): void => waiter?.reject(aborted());
      signal?.addEventListener('abort', onAbort, { once: true });
      live.write(bytes);
      options.onTransmit?.(serial, attempt + 1);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
      try {
        const got = await Promise.race([answer, timeout]);
        if (got === null) continue;
        return { frame: got.frame, serial, transmissions: attempt + 1, answeredAt: got.at };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.waiting.get(key) === waiter) this.waiting.delete(key);
      }
    }
    this.logger.warn({ msg: 'downlink unanswered', deviceKey, serial, attempts: retries + 1 });
    throw new GatewayError(
      'downlink-timeout',
      `${deviceKey} did not answer request ${serial} (${retries + 1} attempts)`,
    );
  }

  /**
   * A confirm, deny or response from a device: settles the request with its serial, if any.
   * `at`: when the answer was read (GB/T 26875.3 receive time), for the requester's records.
   */
  settle(deviceKey: string, frame: Frame, at: ReceiveTime | null = null): void {
    this.waiting.get(`${deviceKey}#${frame.serial}`)?.resolve({ frame, at });
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
