import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Socket } from 'node:net';
import {
  buildDeny,
  COMMAND,
  encodeFrame,
  FrameReader,
  type FrameSink,
  readFrameHeader,
  TimeLabelClock,
  timeLabelToDate,
} from '@fireiot/gb26875';
import { componentAt, type SimulatedComponent } from './component.catalog';
import { dutyCheckAnswer, type DownlinkOutcome, planDownlink } from './downlink.responder';
import { UploadTemplates } from './frame.template';
import { RateCredit } from './rate.credit';
import { type Expiring, RetransmitQueue } from './retransmit.queue';
import { addressBytes, resolveUitdOptions, type ResolvedUitdOptions, type UitdOptions } from './simulator.options';
import { SimulatorCounters, type SimulatorStats, type UploadKind } from './simulator.stats';

/** How an upload ended. */
export type UploadOutcome = 'confirmed' | 'denied' | 'failed' | 'unconfirmed' | 'not-sent';

export interface UploadResult {
  /** Its serial number; null when it was not sent. */
  readonly serial: number | null;
  readonly kind: UploadKind;
  readonly outcome: UploadOutcome;
  /** Transmissions written (1 + retransmissions). */
  readonly attempts: number;
  /** Write of the last transmission → confirm, for a confirmed upload. */
  readonly rttMs: number | null;
  /** The frame as sent (every transmission is these bytes); null when not sent. */
  readonly frame: Buffer | null;
}

/** The uploads a swarm drives without awaiting them (see `post`). */
export type PostKind = 'heartbeat' | 'telemetry' | 'fire' | 'fault';

/**
 * What the devices of a swarm share: counters and RTT histogram, the retransmission timer, the
 * clock and the pre-encoded frames. A device on its own makes its own.
 */
export interface UitdShared {
  readonly counters: SimulatorCounters;
  readonly retransmits: RetransmitQueue;
  readonly clock: TimeLabelClock;
  readonly templates: UploadTemplates;
  /** Told when a device starts or stops being able to upload (connected and not silent). */
  readonly onLiveChange?: (device: SimulatedUitd, live: boolean) => void;
}

type Done = (result: UploadResult) => void;

/** One upload awaiting its confirm (GB/T 26875.3 §6, send/confirm mode). */
class PendingUpload implements Expiring {
  settled = false;
  deadline = 0;
  attempts = 0;
  writtenAt = 0n;

  constructor(
    readonly serial: number,
    readonly kind: UploadKind,
    readonly bytes: Buffer,
    private readonly onTimeout: (p: PendingUpload) => void,
    readonly done: Done | null,
  ) {}

  expire(deadline: number): void {
    if (deadline === this.deadline) this.onTimeout(this); // else a stale entry of an earlier transmission
  }
}

const FIRE_ALARM = 0x0002; // component state bit 1 (§8.2.1.2 Fig. 7), as real panels send it (frame FM-1)
const FAULT = 0x0004; // bit 2
const NORMAL_UITD_STATE = 0x01; // UITD state bit 0, normal monitoring (§8.2.1.8 Fig. 13)

/**
 * A simulated user information transmission device (UITD, 用户信息传输装置): a TCP client of the
 * centre speaking GB/T 26875.3.
 *
 * Uploads (command 2) are heartbeats (type 21 "normal"), fire alarms and faults (type 2, a smoke
 * detector of system 1 with a location such as "3层走廊"), telemetry (type 2 normal states and
 * type 3 temperatures) or any ADU given. Each waits for the centre's confirm (command 3, same
 * serial, addresses swapped), is retransmitted byte for byte after the confirm timeout and
 * counts as failed after the last retry (§6.5); a deny (command 6) counts as denied.
 *
 * Requests and commands from the centre are answered as `planDownlink` describes: patrols
 * (type 81) with the UITD state, clock syncs (90) are applied and confirmed, duty checks (91)
 * answered with the duty-check-answer bit, the other reads with their data, the rest denied.
 */
export class SimulatedUitd {
  /** Its source address, a decimal string. */
  readonly address: string;
  private readonly options: ResolvedUitdOptions;
  private readonly source: Buffer;
  private readonly counters: SimulatorCounters;
  private readonly retransmits: RetransmitQueue;
  private readonly templates: UploadTemplates;
  private readonly ownsShared: boolean;
  private readonly onLiveChange: ((device: SimulatedUitd, live: boolean) => void) | undefined;
  private clock: TimeLabelClock;
  private socket: Socket | null = null;
  private connecting: Promise<void> | null = null;
  private isConnected = false;
  private isSilent = false;
  private wasLive = false;
  /** No new uploads (the owner is stopping); confirms and retransmissions go on. */
  private quiesced = false;
  /** Set by `disconnect()`: the close was wanted, so no automatic reconnection. */
  private closing = false;
  private serial = 0;
  private readonly pending = new Map<number, PendingUpload>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private telemetryTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly answerTimers = new Set<NodeJS.Timeout>();
  private readonly telemetryCredit: RateCredit;
  private events = 0;
  private telemetrySent = 0;
  private readonly onTimeout = (p: PendingUpload): void => this.confirmTimedOut(p);
  private readonly sink: FrameSink = {
    frame: (bytes) => this.received(bytes),
    invalid: (bytes) => this.receivedInvalid(bytes),
    garbage: () => undefined,
  };

  constructor(options: UitdOptions, shared?: UitdShared) {
    this.options = resolveUitdOptions(options);
    this.address = String(this.options.address);
    this.source = addressBytes(this.options.address);
    this.ownsShared = shared === undefined;
    this.counters = shared?.counters ?? new SimulatorCounters();
    this.retransmits = shared?.retransmits ?? new RetransmitQueue(this.options.confirmTimeoutMs);
    this.clock = shared?.clock ?? new TimeLabelClock(0, this.options.utcOffsetMinutes);
    this.templates = shared?.templates ?? new UploadTemplates(this.options.destination, this.options.userVersion);
    this.onLiveChange = shared?.onLiveChange;
    this.telemetryCredit = new RateCredit(this.options.telemetryRate);
    this.counters.devices++;
  }

  /** Connected to the centre. */
  get connected(): boolean {
    return this.isConnected;
  }

  /** Gone silent (`goSilent()`): connected but saying and answering nothing. */
  get silent(): boolean {
    return this.isSilent;
  }

  /** Uploads awaiting their confirm. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The counters it counts into: its own, or its swarm's (then they are the whole swarm's). */
  stats(): SimulatorStats {
    return this.counters.snapshot();
  }

  // ---------------------------------------------------------------------------------------------
  // Connection

  /** Opens the TCP connection; rejects with the socket error (also counted) if it cannot. */
  connect(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    if (this.connecting !== null) return this.connecting;
    this.closing = false;
    this.clearReconnect();
    const attempt = new Promise<void>((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port });
      this.socket = socket;
      const reader = new FrameReader(this.sink);
      let opened = false;
      socket.setNoDelay(true);
      socket.setTimeout(this.options.connectTimeoutMs, () => {
        if (!opened) socket.destroy(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' }));
      });
      socket.once('connect', () => {
        opened = true;
        socket.setTimeout(0);
        this.opened();
        resolve();
      });
      socket.on('data', (chunk: Buffer) => {
        if (this.socket === socket) reader.push(chunk);
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        this.counters.countError(e.code ?? 'ERROR');
        if (!opened) reject(e);
      });
      socket.once('close', () => {
        this.closed(socket, opened);
        if (!opened) reject(new Error(`connection to ${this.options.host}:${this.options.port} closed`));
      });
    });
    this.connecting = attempt;
    const clear = () => {
      if (this.connecting === attempt) this.connecting = null;
    };
    attempt.then(clear, clear);
    return attempt;
  }

  /** Closes the connection (no automatic reconnection); resolves once it is closed. */
  disconnect(): Promise<void> {
    this.closing = true;
    this.clearReconnect();
    const socket = this.socket;
    if (socket === null) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      if (!this.isConnected) {
        socket.destroy(); // still connecting
        return;
      }
      socket.end();
      // A centre that does not close its side within a second is cut off.
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  /** Closes the connection if open and connects again, talking again if it was silent. */
  async reconnect(): Promise<void> {
    await this.disconnect();
    this.isSilent = false;
    await this.connect();
  }

  /**
   * Stays connected but says nothing: no heartbeats, uploads, retransmissions or answers, and
   * what the centre sends is dropped — a hung device, as the centre's loss detection must see it.
   */
  goSilent(): void {
    this.isSilent = true;
    this.updateLive();
  }

  /** Ends `goSilent()`. */
  resume(): void {
    this.isSilent = false;
    this.updateLive();
  }

  /**
   * Stops new uploads (their results are `not-sent`) while confirms and retransmissions of those
   * in flight go on; what a swarm does when it stops. `close()` does it too.
   */
  quiesce(): void {
    this.quiesced = true;
    this.stopTimers();
  }

  /**
   * Stops the device: no new uploads, waits up to `drainMs` (default: the whole retransmission
   * schedule) for those in flight, counts the rest as unconfirmed, and disconnects.
   */
  async close(drainMs = this.options.confirmTimeoutMs * (this.options.retries + 1) + 100): Promise<SimulatorStats> {
    this.quiesce();
    const until = Date.now() + drainMs;
    while (this.pending.size > 0 && Date.now() < until) await sleep(Math.min(10, this.retransmits.resolution));
    this.abandonUploads();
    await this.disconnect();
    if (this.ownsShared) this.retransmits.clear();
    return this.stats();
  }

  /** Settles every upload still in flight as unconfirmed (they are no longer waited for). */
  abandonUploads(): void {
    for (const p of [...this.pending.values()]) this.settle(p, 'unconfirmed');
  }

  private opened(): void {
    this.isConnected = true;
    this.counters.connected++;
    this.counters.connects++;
    this.updateLive();
    if (this.quiesced) return;
    const { heartbeatIntervalMs, telemetryRate } = this.options;
    if (heartbeatIntervalMs > 0) {
      this.heartbeatTimer = setInterval(() => {
        if (!this.isSilent) this.post('heartbeat');
      }, heartbeatIntervalMs);
    }
    if (telemetryRate > 0) {
      this.telemetryCredit.take(); // start counting from now
      this.telemetryTimer = setInterval(
        () => {
          if (this.isSilent) return;
          for (let n = this.telemetryCredit.take(); n > 0; n--) this.post('telemetry');
        },
        Math.max(10, Math.min(1000, 1000 / telemetryRate)),
      );
    }
    if (this.options.heartbeatOnConnect) this.post('heartbeat');
  }

  private closed(socket: Socket, opened: boolean): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.stopTimers();
    if (opened) {
      this.isConnected = false;
      this.counters.connected--;
      this.counters.disconnects++;
      this.updateLive();
    }
    if (!this.closing && !this.quiesced && this.options.reconnectDelayMs > 0) {
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connect().catch(() => undefined); // counted; the next close schedules the next try
      }, this.options.reconnectDelayMs);
    }
  }

  private updateLive(): void {
    const live = this.isConnected && !this.isSilent;
    if (live === this.wasLive) return;
    this.wasLive = live;
    this.onLiveChange?.(this, live);
  }

  private stopTimers(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    if (this.telemetryTimer !== null) clearInterval(this.telemetryTimer);
    this.heartbeatTimer = null;
    this.telemetryTimer = null;
    for (const t of this.answerTimers) clearTimeout(t);
    this.answerTimers.clear();
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Uploads (command 2)

  /**
   * Fire and forget: sends a frame of this kind if the device can (else counts it as not sent);
   * its outcome is only counted. The swarm's hot path: heartbeats and telemetry are stamped
   * from pre-encoded templates.
   */
  post(kind: PostKind): void {
    switch (kind) {
      case 'heartbeat':
        this.enqueue(kind, (s) => this.templates.heartbeat.stamp(s, this.source, this.clock.bytes()), null, false);
        return;
      case 'telemetry':
        this.enqueue(
          kind,
          (s) => this.templates.telemetryAt(this.telemetrySent++).stamp(s, this.source, this.clock.bytes()),
          null,
          true,
        );
        return;
      case 'fire':
        this.enqueue(kind, (s) => this.componentStateFrame(s, FIRE_ALARM, componentAt(this.events++)), null, false);
        return;
      case 'fault':
        this.enqueue(kind, (s) => this.componentStateFrame(s, FAULT, componentAt(this.events++)), null, false);
        return;
    }
  }

  /** A heartbeat: the UITD running state "normal" (type 21, §8.3.1.9). */
  sendHeartbeat(): Promise<UploadResult> {
    return this.send('heartbeat', (s) => this.templates.heartbeat.stamp(s, this.source, this.clock.bytes()));
  }

  /**
   * A fire alarm of a smoke detector (type 2, state bit 1 "fire-alarm"): the component given,
   * or the n-th of the catalogue, or the next one.
   */
  sendFireAlarm(component?: SimulatedComponent | number): Promise<UploadResult> {
    const c = this.componentOf(component);
    return this.send('fire', (s) => this.componentStateFrame(s, FIRE_ALARM, c));
  }

  /** A fault of a smoke detector (type 2, state bit 2 "fault"). */
  sendFault(component?: SimulatedComponent | number): Promise<UploadResult> {
    const c = this.componentOf(component);
    return this.send('fault', (s) => this.componentStateFrame(s, FAULT, c));
  }

  /** One telemetry frame (a normal component state or a temperature, in rotation). */
  sendTelemetry(): Promise<UploadResult> {
    return this.send('telemetry', (s) =>
      this.templates.telemetryAt(this.telemetrySent++).stamp(s, this.source, this.clock.bytes()),
    );
  }

  /**
   * Uploads any ADU, in the JSON shape the codec encodes (`{ type, objects }` or `{ type, raw }`),
   * e.g. `{ type: 1, objects: [{ systemType: 1, systemAddress: 1, state: { flags: ['fault'] }, occurredAt }] }`.
   * Throws the codec's Gb26875Error if the ADU cannot be encoded.
   */
  upload(adu: Readonly<Record<string, unknown>>, kind: UploadKind = 'custom'): Promise<UploadResult> {
    // Encoded first with a placeholder serial so that a bad ADU throws before anything is sent.
    this.frame(0, adu);
    return this.send(kind, (s) => this.frame(s, adu));
  }

  private send(kind: UploadKind, make: (serial: number) => Buffer): Promise<UploadResult> {
    return new Promise((resolve) => this.enqueue(kind, make, resolve, false));
  }

  private componentOf(component: SimulatedComponent | number | undefined): SimulatedComponent {
    return typeof component === 'object' ? component : componentAt(component ?? this.events++);
  }

  private frame(serial: number, adu: Readonly<Record<string, unknown>>): Buffer {
    return encodeFrame({
      serial,
      version: { major: 1, minor: this.options.userVersion },
      sentAt: this.clock.labelText(),
      source: this.options.address,
      destination: this.options.destination,
      command: COMMAND.SEND_DATA,
      adu,
    });
  }

  /** Type 2, BFF component running state (§8.3.1.2): system 1 (fire alarm system), a smoke detector (40). */
  private componentStateFrame(serial: number, state: number, c: SimulatedComponent): Buffer {
    return this.frame(serial, {
      type: 2,
      objects: [
        {
          systemType: 1,
          systemAddress: 1,
          componentType: 40,
          componentAddress: { low16: c.point, high16: c.loop },
          state: { raw: state },
          description: c.description,
          occurredAt: this.clock.labelText(),
        },
      ],
    });
  }

  private enqueue(kind: UploadKind, make: (serial: number) => Buffer, done: Done | null, throttled: boolean): void {
    const socket = this.socket;
    if (
      !this.isConnected ||
      socket === null ||
      this.isSilent ||
      this.quiesced ||
      (throttled && this.pending.size >= this.options.maxInFlight)
    ) {
      this.counters.notSent++;
      done?.({ serial: null, kind, outcome: 'not-sent', attempts: 0, rttMs: null, frame: null });
      return;
    }
    const serial = this.nextSerial();
    const p = new PendingUpload(serial, kind, make(serial), this.onTimeout, done);
    this.pending.set(serial, p);
    const c = this.counters;
    c.inFlight++;
    c.sent++;
    c.sentByKind[kind]++;
    this.transmit(p, socket);
  }

  /**
   * Business serial number 业务流水号 (§7, Table 1): the sender adds 1 for each new packet, 16 bits,
   * wrapping; a number still awaiting its confirm is skipped, keeping open exchanges unique.
   */
  private nextSerial(): number {
    for (;;) {
      this.serial = (this.serial + 1) & 0xffff;
      if (!this.pending.has(this.serial)) return this.serial;
    }
  }

  private transmit(p: PendingUpload, socket: Socket | null): void {
    p.attempts++;
    p.deadline = this.retransmits.push(p);
    p.writtenAt = process.hrtime.bigint();
    if (socket !== null) socket.write(p.bytes);
  }

  /**
   * GB/T 26875.3 §6.5 retransmission: no confirm within the timeout (≤ 10 s) → the identical
   * bytes again, up to `retries` times (3); after the last one the upload has failed. While the
   * device is disconnected or silent the retransmission is due but not written.
   */
  private confirmTimedOut(p: PendingUpload): void {
    if (p.attempts > this.options.retries) {
      this.settle(p, 'failed');
      return;
    }
    const socket = this.isConnected && !this.isSilent ? this.socket : null;
    if (socket !== null) this.counters.retransmitted++;
    this.transmit(p, socket);
  }

  private settle(p: PendingUpload, outcome: Exclude<UploadOutcome, 'not-sent'>): void {
    if (p.settled) return;
    p.settled = true;
    this.pending.delete(p.serial);
    const c = this.counters;
    c.inFlight--;
    let rttMs: number | null = null;
    switch (outcome) {
      case 'confirmed': {
        const us = Number(process.hrtime.bigint() - p.writtenAt) / 1000;
        c.rtt.recordMicros(us);
        c.confirmed++;
        rttMs = us / 1000;
        break;
      }
      case 'denied':
        c.denied++;
        break;
      case 'failed':
        c.failed++;
        break;
      case 'unconfirmed':
        c.unconfirmed++;
        break;
    }
    p.done?.({ serial: p.serial, kind: p.kind, outcome, attempts: p.attempts, rttMs, frame: p.bytes });
  }

  // ---------------------------------------------------------------------------------------------
  // What the centre sends

  private received(bytes: Buffer): void {
    if (this.isSilent) return;
    const command = bytes[26];
    if (command === COMMAND.CONFIRM || command === COMMAND.DENY) {
      this.reply(bytes, command);
      return;
    }
    this.answer(bytes);
  }

  /** A confirm or deny: matched to its upload by serial, and it must come back with the addresses swapped. */
  private reply(bytes: Buffer, command: typeof COMMAND.CONFIRM | typeof COMMAND.DENY): void {
    const p = this.pending.get((bytes[2] as number) | ((bytes[3] as number) << 8));
    if (p === undefined || !swapped(bytes, p.bytes)) {
      this.counters.downlinkIgnored++; // a late or duplicate reply, or one meant for another address
      return;
    }
    if (command === COMMAND.CONFIRM) this.settle(p, 'confirmed');
    else if (this.options.retryOnDeny && p.attempts <= this.options.retries) {
      this.counters.retransmitted++;
      this.transmit(p, this.socket); // §6: "gets a deny → retransmits"
    } else this.settle(p, 'denied');
  }

  private answer(bytes: Buffer): void {
    const c = this.counters;
    c.downlinkReceived++;
    const plan = planDownlink(bytes, {
      address: this.options.address,
      userVersion: this.options.userVersion,
      now: this.clock.labelText(),
      uitdState: NORMAL_UITD_STATE,
      answerPatrols: this.options.answerPatrols,
      answerDutyChecks: this.options.answerDutyChecks,
    });
    if (plan.setClockTo !== undefined) this.setClock(plan.setClockTo);
    if (plan.reply !== null) this.socket?.write(plan.reply);
    this.count(plan.outcome);
    if (plan.uploadDutyCheckAnswer === true) this.answerDutyCheck();
  }

  private count(outcome: DownlinkOutcome): void {
    const c = this.counters;
    switch (outcome) {
      case 'patrol':
        c.patrolsAnswered++;
        return;
      case 'patrol-ignored':
        c.patrolsIgnored++;
        return;
      case 'duty-check':
        c.dutyChecksAnswered++;
        return;
      case 'duty-check-ignored':
        c.dutyChecksIgnored++;
        return;
      case 'clock-sync':
        c.clockSyncs++;
        return;
      case 'init':
        c.inits++;
        return;
      case 'read':
        c.readsAnswered++;
        return;
      case 'denied':
        c.downlinkDenied++;
        return;
      case 'ignored':
        c.downlinkIgnored++;
        return;
    }
  }

  /** Broken framing with a readable header (§6.5.3 check error): a request or command is denied. */
  private receivedInvalid(bytes: Buffer): void {
    if (this.isSilent) return;
    const header = readFrameHeader(bytes);
    const c = this.counters;
    c.downlinkReceived++;
    const command = header?.command?.code;
    if (header === null || command === COMMAND.CONFIRM || command === COMMAND.DENY) {
      c.downlinkIgnored++; // never deny a reply
      return;
    }
    this.socket?.write(buildDeny(bytes, this.clock.labelText()));
    c.downlinkDenied++;
  }

  /** Type 90 (§8.3.2.15): from now on its time labels follow the centre's clock. */
  private setClock(label: string): void {
    const at = timeLabelToDate(label, this.options.utcOffsetMinutes);
    if (at === null) return;
    this.clock = new TimeLabelClock(at.getTime() - Date.now(), this.options.utcOffsetMinutes);
  }

  /** The operator presses the duty-check answer key: a type-24 upload with bit 5 (§8.2.1.9 Fig. 14; notes §5). */
  private answerDutyCheck(): void {
    const upload = () => {
      void this.send('duty-check-answer', (s) =>
        this.frame(s, { type: 24, objects: [dutyCheckAnswer(this.clock.labelText())] }),
      );
    };
    if (this.options.dutyCheckAnswerDelayMs === 0) {
      upload();
      return;
    }
    const t = setTimeout(() => {
      this.answerTimers.delete(t);
      upload();
    }, this.options.dutyCheckAnswerDelayMs);
    this.answerTimers.add(t);
  }
}

/** A reply's source is the upload's destination and its destination the upload's source (bytes 12–23). */
function swapped(reply: Buffer, upload: Buffer): boolean {
  for (let i = 0; i < 6; i++) {
    if (reply[12 + i] !== upload[18 + i] || reply[18 + i] !== upload[12 + i]) return false;
  }
  return true;
}
