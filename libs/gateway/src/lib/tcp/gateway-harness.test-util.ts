import { eventually } from '@fireiot/testing';
import { Logger } from '@nestjs/common';
import { Socket } from 'node:net';
import { InProcessBus } from '@fireiot/bus';
import { FireiotConfig, loadConfig } from '@fireiot/config';
import { DevicePresence, FrameReceived, TopicName } from '@fireiot/events';
import { decodeFrame, encodeFrame, Frame, FrameInput, FrameReader, frameChecksum } from '@fireiot/gb26875';
import {
  ChainReport,
  ChainVerifier,
  createAppPool,
  DeviceRepository,
  PatrolRecorder,
  PresenceRecorder,
  RawStore,
} from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { Pool } from 'pg';
import { DownlinkService } from './downlink.service';
import { FrameIngestOptions, FrameIngestService } from './frame-ingest.service';
import { Gb26875Server, Gb26875ServerOptions } from './gb26875.server';
import { PatrolScheduler, PatrolSchedulerOptions } from './patrol.scheduler';

/*
 * The TCP gateway's integration harness: the real server, ingest and downlink services over a
 * real (embedded) PostgreSQL and the in-process bus, listening on 127.0.0.1:0, and a raw
 * `net.Socket` client that speaks bytes and reads the gateway's replies through a FrameReader.
 */

// Quarantine warnings and connection logs would drown the test output; errors stay visible.
Logger.overrideLogger(['error']);

/** The platform's address in the frames the tests send (so a swapped confirm is visible). */
export const PLATFORM_ADDRESS = '88888';
export const SENT_AT = '2026-01-01T08:00:00';

// -------------------------------------------------------------------------------------------------
// Polling

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// -------------------------------------------------------------------------------------------------
// Frames

type AduInput = { readonly type: { readonly code: number }; readonly objects: readonly Record<string, unknown>[] };

/** Type 2, one smoke detector in fire alarm (like FM-1). */
export function fireAlarmAdu(component = 131082): AduInput {
  return componentStateAdu(0x0002, component);
}

/** Type 2, one smoke detector in normal state. */
export function normalStateAdu(component = 131082): AduInput {
  return componentStateAdu(0x0001, component);
}

function componentStateAdu(state: number, component: number): AduInput {
  return {
    type: { code: 2 },
    objects: [
      {
        systemType: { code: 1 },
        systemAddress: 1,
        componentType: { code: 40 },
        componentAddress: { value: component },
        state: { raw: state },
        description: '',
        occurredAt: SENT_AT,
      },
    ],
  };
}

/** Type 21, the UITD's own state (a heartbeat). */
export function uitdStateAdu(state = 0x01): AduInput {
  return { type: { code: 21 }, objects: [{ state: { raw: state }, occurredAt: SENT_AT }] };
}

export interface FrameSpec {
  readonly serial: number;
  readonly source: string;
  readonly destination?: string;
  readonly command?: number;
  /** Null for an empty ADU (a command-2 heartbeat, a confirm). */
  readonly adu?: AduInput | null;
  readonly sentAt?: string;
}

export function frame(spec: FrameSpec): Buffer {
  const input: FrameInput = {
    serial: spec.serial,
    version: { major: 1, minor: 1 },
    sentAt: spec.sentAt ?? SENT_AT,
    source: { value: spec.source },
    destination: { value: spec.destination ?? PLATFORM_ADDRESS },
    command: { code: spec.command ?? 2 },
    adu: spec.adu === undefined ? normalStateAdu() : spec.adu,
  };
  return encodeFrame(input);
}

/** A valid upload (command 2) from `source`. */
export function upload(source: string, serial: number, adu: AduInput | null = normalStateAdu()): Buffer {
  return frame({ serial, source, adu });
}

/** The same frame with its checksum byte wrong. */
export function withBadChecksum(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.length - 3;
  copy[at] = ((copy[at] as number) + 1) & 0xff;
  return copy;
}

/** The same frame with one byte changed and its checksum made right again (a well-framed but invalid frame). */
export function withByte(bytes: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset] = value;
  copy[copy.length - 3] = frameChecksum(copy, 0, copy.length - 30);
  return copy;
}

/** A frame announcing an ADU of `aduLength` (> 1024) bytes, and carrying them: header, zeros, checksum, `##`. */
export function overlongFrame(source: string, serial: number, aduLength = 1100): Buffer {
  const head = frame({ serial, source, adu: null });
  const out = Buffer.alloc(30 + aduLength);
  head.copy(out, 0, 0, 27);
  out.writeUInt16LE(aduLength, 24);
  out[out.length - 2] = 0x23;
  out[out.length - 1] = 0x23;
  return out;
}

// -------------------------------------------------------------------------------------------------
// The database

/** One PostgreSQL per spec file, with the application pool and one raw store shared by its gateways. */
export interface GatewayDatabase {
  readonly db: TestDatabase;
  readonly pool: Pool;
  /** Shared by every gateway of the spec file, so per-device chains are extended by one writer. */
  readonly store: RawStore;
  close(): Promise<void>;
}

export async function startGatewayDatabase(): Promise<GatewayDatabase> {
  const db = await startTestDatabase();
  const pool = createAppPool(db.ownerUrl);
  const store = new RawStore(pool, { batchMs: 2 });
  return {
    db,
    pool,
    store,
    async close() {
      await store.close();
      await pool.end();
      await db.stop();
    },
  };
}

export interface RawFrameRow {
  id: string;
  device_key: string;
  device_seq: string;
  serial: number;
  command: number;
  adu_type: number | null;
  registered: boolean;
  peer: string;
  gateway_id: string;
  received_at: string;
  bytes: Buffer;
}

export interface QuarantineRowRead {
  id: string;
  device_key: string;
  reason_code: string;
  reason: string;
  peer: string;
  bytes: Buffer;
}

const RECEIVED_AT = `to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at`;

export function rawFrames(ctx: GatewayDatabase, deviceKey: string): Promise<RawFrameRow[]> {
  return ctx.db.sql<RawFrameRow>(
    `SELECT id::text, device_key, device_seq::text, serial, command, adu_type, registered, peer, gateway_id, bytes, ${RECEIVED_AT}
       FROM raw_frames WHERE device_key = $1 ORDER BY raw_frames.device_seq`,
    [deviceKey],
  );
}

/** Quarantine rows of a device key (`uitd:…`, `peer:…`), optionally of one reason code only. */
export function quarantined(
  ctx: GatewayDatabase,
  deviceKey: string,
  reasonCode?: string,
): Promise<QuarantineRowRead[]> {
  return ctx.db.sql<QuarantineRowRead>(
    `SELECT id::text, device_key, reason_code, reason, peer, bytes FROM quarantine
      WHERE device_key = $1 AND ($2::text IS NULL OR reason_code = $2) ORDER BY quarantine.device_seq`,
    [deviceKey, reasonCode ?? null],
  );
}

/** Quarantine rows written for one client connection (`peer` = ip:port), whatever their key. */
export function quarantinedFromPeer(ctx: GatewayDatabase, peer: string): Promise<QuarantineRowRead[]> {
  return ctx.db.sql<QuarantineRowRead>(
    `SELECT id::text, device_key, reason_code, reason, peer, bytes FROM quarantine WHERE peer = $1 ORDER BY quarantine.id`,
    [peer],
  );
}

export function verifyChains(ctx: GatewayDatabase): Promise<ChainReport> {
  return new ChainVerifier(ctx.pool).verify();
}

/**
 * "Loses nothing already received": every confirmed upload of the device is in raw_frames
 * (byte for byte), once, and every hash chain of the database is whole.
 */
export async function expectNothingLost(ctx: GatewayDatabase, deviceKey: string, confirmed: Buffer[]): Promise<void> {
  const rows = await rawFrames(ctx, deviceKey);
  const stored = rows.map((r) => r.bytes.toString('hex'));
  for (const bytes of confirmed) expect(stored).toContain(bytes.toString('hex'));
  expect(new Set(stored).size).toBe(stored.length);
  const report = await verifyChains(ctx);
  expect(report.breaks).toEqual([]);
  expect(report.ok).toBe(true);
}

// -------------------------------------------------------------------------------------------------
// The gateway

export interface GatewayOptions {
  /** Environment overrides for `loadConfig` (FIREIOT_GB26875_*, FIREIOT_PATROL_*, FIREIOT_PRESENCE_INTERVAL_S). */
  readonly env?: Readonly<Record<string, string>>;
  /** Server options; the harness shortens the sweep and resync timers by default. */
  readonly server?: Gb26875ServerOptions;
  /**
   * Patrols (GB/T 26875.3 type 81): off unless asked for, so that the other specs' devices never
   * receive a query they do not expect. Periods come from the devices' records (patrol_period_s).
   */
  readonly patrols?: boolean | PatrolSchedulerOptions;
  readonly ingest?: FrameIngestOptions;
}

/** Everything the gateway published on the bus, by topic. */
export class BusLog {
  readonly frames: FrameReceived[] = [];
  readonly fireAlarms: FrameReceived[] = [];
  readonly presence: DevicePresence[] = [];

  async attach(bus: InProcessBus): Promise<void> {
    await bus.subscribe('fireiot.ingest.frames.v1', 'test', async (m) => void this.frames.push(m));
    await bus.subscribe('fireiot.ingest.fire-alarms.v1', 'test', async (m) => void this.fireAlarms.push(m));
    await bus.subscribe('fireiot.device.presence.v1', 'test', async (m) => void this.presence.push(m));
  }

  uploads(topic: Extract<TopicName, 'fireiot.ingest.frames.v1' | 'fireiot.ingest.fire-alarms.v1'>): FrameReceived[] {
    return topic === 'fireiot.ingest.frames.v1' ? this.frames : this.fireAlarms;
  }

  /** Uploads of a device on either topic. */
  uploadsOf(deviceKey: string): FrameReceived[] {
    return [...this.frames, ...this.fireAlarms].filter((m) => m.deviceKey === deviceKey);
  }

  presenceOf(deviceKey: string, event?: DevicePresence['event']): DevicePresence[] {
    return this.presence.filter((m) => m.deviceKey === deviceKey && (event === undefined || m.event === event));
  }
}

export interface TestGateway {
  readonly port: number;
  readonly config: FireiotConfig;
  readonly server: Gb26875Server;
  readonly ingest: FrameIngestService;
  readonly downlinks: DownlinkService;
  readonly devices: DeviceRepository;
  readonly presence: PresenceRecorder;
  /** Null unless the gateway was started with `patrols`. */
  readonly patrols: PatrolScheduler | null;
  readonly bus: InProcessBus;
  readonly log: BusLog;
  /** Idempotent: graceful server stop, presence flush, bus close (the shared store stays open). */
  stop(): Promise<void>;
}

export async function startGateway(ctx: GatewayDatabase, options: GatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig({
    FIREIOT_HOST: '127.0.0.1',
    FIREIOT_GB26875_PORT: '0',
    FIREIOT_GATEWAY_ID: 'gw-test',
    ...options.env,
  });
  const bus = new InProcessBus();
  const log = new BusLog();
  await log.attach(bus);
  const devices = new DeviceRepository(ctx.pool);
  const presence = new PresenceRecorder(ctx.pool, 60_000);
  const downlinks = new DownlinkService();
  const patrols = options.patrols
    ? new PatrolScheduler(
        config,
        downlinks,
        new PatrolRecorder(ctx.pool, { intervalMs: 20 }),
        bus,
        options.patrols === true ? {} : options.patrols,
      )
    : null;
  const ingest = new FrameIngestService(config, ctx.store, devices, presence, bus, downlinks, patrols, options.ingest);
  const server = new Gb26875Server(
    config,
    ingest,
    downlinks,
    ctx.store,
    bus,
    { sweepIntervalMs: 20, resyncAfterMs: 200, ...options.server },
    patrols,
  );
  const port = await server.listen(0, '127.0.0.1');
  let stopped: Promise<void> | null = null;
  return {
    port,
    config,
    server,
    ingest,
    downlinks,
    devices,
    presence,
    patrols,
    bus,
    log,
    stop() {
      stopped ??= (async () => {
        await server.stop();
        await presence.stop();
        await bus.close();
      })();
      return stopped;
    },
  };
}

// -------------------------------------------------------------------------------------------------
// The raw client

export interface Reply {
  readonly bytes: Buffer;
  /** Null when the reply did not decode (never expected from the gateway). */
  readonly frame: Frame | null;
  /** `performance.now()` when it was read. */
  readonly at: number;
}

/**
 * A byte-level TCP client: writes whatever it is given, and collects every frame the gateway
 * sends back (through a FrameReader, so chunking does not matter).
 */
export class RawClient {
  readonly replies: Reply[] = [];
  /** Bytes from the gateway that were not frames (never expected). */
  readonly junk: Buffer[] = [];
  /** Resolves when the socket has closed, with what had arrived by then. */
  readonly closed: Promise<{ hadError: boolean; replies: number }>;
  private isClosed = false;
  private readonly reader: FrameReader;
  private readonly listeners = new Set<() => void>();
  private readonly replyListeners: ((reply: Reply) => void)[] = [];

  /** `ip:port` as the gateway sees this client (the `peer` of its rows), fixed at connect. */
  peer = '';

  private constructor(readonly socket: Socket) {
    this.reader = new FrameReader({
      frame: (bytes) => {
        const copy = Buffer.from(bytes);
        const decoded = decodeFrame(copy);
        const reply = { bytes: copy, frame: decoded.ok ? decoded.frame : null, at: performance.now() };
        this.replies.push(reply);
        for (const listener of this.replyListeners) listener(reply);
      },
      invalid: (bytes) => this.junk.push(Buffer.from(bytes)),
      garbage: (bytes) => this.junk.push(Buffer.from(bytes)),
    });
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      this.notify();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', (hadError) => {
        this.isClosed = true;
        this.notify();
        resolve({ hadError, replies: this.replies.length });
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.setNoDelay(true);
      const client = new RawClient(socket);
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        client.peer = `${socket.localAddress ?? ''}:${socket.localPort ?? 0}`;
        resolve(client);
      });
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Calls `listener` with every frame from the gateway from now on, as it arrives. */
  onReply(listener: (reply: Reply) => void): void {
    this.replyListeners.push(listener);
  }

  /** Writes bytes; resolves once they are handed to the kernel. */
  send(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(error) : resolve())));
  }

  /** Replies (decoded) that match `predicate`, in arrival order. */
  matching(predicate: (frame: Frame) => boolean): Frame[] {
    return this.replies.flatMap((r) => (r.frame && predicate(r.frame) ? [r.frame] : []));
  }

  /** The first reply with this serial (and command, if given), waiting for it if need be. */
  reply(serial: number, command?: number, timeoutMs = 5000): Promise<Frame> {
    return this.waitFor((f) => f.serial === serial && (command === undefined || f.command.code === command), timeoutMs);
  }

  /** The first reply matching `predicate`; rejects after `timeoutMs` or when the socket closes first. */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.matching(predicate)[0];
        if (found) {
          done();
          resolve(found);
          return true;
        }
        if (this.isClosed) {
          done();
          reject(new Error(`connection closed before the expected reply (${this.replies.length} replies)`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no expected reply within ${timeoutMs} ms (${this.replies.length} replies so far)`));
      }, timeoutMs);
      const listener = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      if (!check()) this.listeners.add(listener);
    });
  }

  /** Waits until `count` replies matching `predicate` have arrived. */
  async waitForCount(predicate: (frame: Frame) => boolean, count: number, timeoutMs = 5000): Promise<Frame[]> {
    return eventually(
      () => {
        const found = this.matching(predicate);
        return found.length >= count && found;
      },
      `${count} replies`,
      timeoutMs,
    );
  }

  /** Resolves true if the socket closes within `timeoutMs`, false otherwise. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.closed.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Clients and gateways a spec opened, closed after each test whatever happened. */
export class Resources {
  private readonly clients: RawClient[] = [];
  private readonly gateways: TestGateway[] = [];

  async client(gateway: TestGateway | number): Promise<RawClient> {
    const client = await RawClient.connect(typeof gateway === 'number' ? gateway : gateway.port);
    this.clients.push(client);
    return client;
  }

  async gateway(ctx: GatewayDatabase, options?: GatewayOptions): Promise<TestGateway> {
    const gateway = await startGateway(ctx, options);
    this.gateways.push(gateway);
    return gateway;
  }

  async release(): Promise<void> {
    for (const client of this.clients.splice(0)) client.destroy();
    for (const gateway of this.gateways.splice(0)) await gateway.stop();
  }
}

/** A patrol query (GB/T 26875.3 command 4, type 81) from the gateway. */
export function isPatrol(f: Frame): boolean {
  return f.command.code === 4 && f.adu?.type.code === 81;
}

/**
 * Makes the client answer every patrol query as a UITD does: a response (command 5) with the
 * query's serial, carrying its running state (type 21).
 */
export function answerPatrols(client: RawClient, address: string): void {
  client.onReply(({ frame: query }) => {
    if (!query || !isPatrol(query)) return;
    const response = frame({
      serial: query.serial,
      source: address,
      destination: query.source.value,
      command: 5,
      adu: uitdStateAdu(),
    });
    client.send(response).catch(() => undefined); // a closed socket: the spec sees the patrol aborted
  });
}

/** Sends `bytes` and waits for the confirm (command 3) of `serial`. */
export async function sendAndConfirm(client: RawClient, bytes: Buffer, serial: number): Promise<Frame> {
  await client.send(bytes);
  return client.reply(serial, 3);
}

/** mulberry32: a seeded PRNG, so a "random" garbage stream is the same on every run. */
export function seededBytes(seed: number, length: number): Buffer {
  let a = seed | 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}
