import { Logger } from '@nestjs/common';
import type {
  Aedes,
  AedesOptions,
  AedesPublishPacket,
  AuthenticateError,
  AuthErrorCode,
  Client,
  PublishPacket,
  Subscription,
} from 'aedes';
import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, Server, Socket } from 'node:net';
import { FireiotConfig } from '@fireiot/config';
import { ReceiveClock, ReceiveTime } from '@fireiot/events';
import { DUMMY_SECRET_HASH, verifySecret } from '@fireiot/secrets';
import { DeviceRepository } from '@fireiot/storage';
import { GuardedMqttConnection } from './mqtt-connection.guard';
import { MqttIngestError } from './mqtt-ingest.error';
import { MqttIngestOutcome, MqttIngestService } from './mqtt-ingest.service';
import { isValidDeviceId, isWithinNamespace, mqttDeviceKey } from './mqtt-topic.util';

export interface EmbeddedMqttBrokerOptions {
  /** Largest MQTT packet accepted, header included; a bigger one closes the connection. */
  readonly maxPacketBytes?: number;
  /** Concurrent connections; beyond it new sockets are closed at once. */
  readonly maxConnections?: number;
  /** A connection that sends no CONNECT within this time is closed. */
  readonly connectTimeoutMs?: number;
  /** How long a successful password check is remembered (reconnects skip scrypt). */
  readonly authCacheMs?: number;
}

export interface EmbeddedMqttBrokerStats {
  connectedClients: number;
  /** Publications stored in raw_mqtt and acknowledged (retransmissions included). */
  accepted: number;
  /** Publications quarantined but acknowledged (bad payload or unknown channel in the device's own namespace). */
  quarantined: number;
  /** CONNECTs refused (unknown device, wrong password, client id ≠ username, registry down). */
  refusedConnections: number;
  /** Publications refused (another device's id, a topic outside the own namespace): quarantined, connection closed. */
  refusedPublications: number;
  /** Subscriptions refused (SUBACK 0x80). */
  refusedSubscriptions: number;
  /** Connections cut for an oversize or malformed packet. */
  oversizePackets: number;
  /** Sockets closed at once because `maxConnections` was reached. */
  droppedConnections: number;
  /** Publications not stored (storage failed): not acknowledged, connection closed, the device retransmits. */
  storeFailures: number;
}

/** MQTT 3.1.1 §3.2.2.3 CONNACK return codes used here. */
const CONNACK = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;
type ConnackCode = (typeof CONNACK)[keyof typeof CONNACK];

interface VerifiedSecret {
  readonly stored: string;
  readonly digest: Buffer;
  readonly expiresAt: number;
}

/**
 * Embedded mode's MQTT broker (`FIREIOT_MQTT_URL` unset): aedes in this process, on
 * `config.mqtt.port` at `config.host`, for sensors that publish to `fireiot/v1/devices/{id}/…`
 * (CQC/SC 11002 4.1.1–4.1.2: real-time collection from the water supply, pumps and detectors).
 * Devices speak MQTT 3.1.1 (aedes 1.x does not do MQTT 5).
 *
 * - **Authentication** (per device): username = device id = client id; the password is checked
 *   against `devices.mqtt_secret` (scrypt). Refusals use the CONNACK codes of MQTT 3.1.1:
 *   2 identifier rejected (client id ≠ username), 4 bad user name or password (unknown device,
 *   wrong or missing password — the two are not told apart, and take the same time), 5 not
 *   authorized (a known device without MQTT credentials), 3 server unavailable (registry down).
 * - **Publications** run the ingestion use case inside `authorizePublish` and call aedes back only
 *   when the row is committed: aedes sends PUBACK (QoS 1) / PUBREC (QoS 2) after that callback,
 *   so an acknowledgement means "durably stored" (CQC/SC 11002 4.1.3) — the same promise as
 *   the GB/T 26875.3 confirm. If storing fails, the callback gets an error: no acknowledgement,
 *   the connection closes, and the device retransmits after reconnecting.
 * - **Another device's id, or a topic outside `fireiot/v1/devices/{own id}/`**: quarantined
 *   (`foreign-device-id` / `unknown-topic`), then refused — aedes closes the connection
 *   (MQTT-3.3.5-2; 3.1.1 has no negative PUBACK). What the device sent before stays stored.
 * - **Bad payloads in the device's own namespace** (not JSON, schema violation, unknown channel):
 *   quarantined with the reason and then *acknowledged*, not refused, and not forwarded to
 *   subscribers. Why: in MQTT 3.1.1 refusing means closing the connection, and the client then
 *   retransmits the same unacknowledged message on reconnect — a device with one malformed
 *   message would loop forever (connect, send, get cut off) and its valid messages, a fire alarm
 *   among them, would queue behind it. The message is durably recorded in quarantine, which is
 *   all an acknowledgement promises; the operator sees it there.
 * - **Subscriptions**: a device may subscribe only inside its own namespace
 *   (`fireiot/v1/devices/{id}/#`); anything else gets SUBACK 0x80, the connection stays. Platform
 *   service or operator accounts (downlink, monitoring) are not provided yet: they would be
 *   separate credentials checked in `authenticate`, with their own rules here.
 * - **Retained flags** are cleared and **wills** dropped: the broker is an ingestion endpoint,
 *   not a message store; loss of a device is detected from its heartbeats.
 * - **Limits**: `maxPacketBytes` (default 64 KiB, enforced on the packet header before aedes
 *   buffers anything), `maxConnections` (default 10,000), CONNECT within `connectTimeoutMs`.
 */
export class EmbeddedMqttBroker {
  private readonly logger = new Logger(EmbeddedMqttBroker.name);
  private readonly maxPacketBytes: number;
  private readonly maxConnections: number;
  private readonly connectTimeoutMs: number;
  private readonly authCacheMs: number;
  private broker: Aedes | null = null;
  private server: Server | null = null;
  private stopping = false;
  private readonly verified = new Map<string, VerifiedSecret>();
  /** The live connection of each device id (a newer one replaces an older one). */
  private readonly current = new Map<string, Client>();
  private readonly disconnectReasons = new WeakMap<Client, string>();
  /** Clients whose connection the broker ends for its own reasons (a refused or unstored publication). */
  private readonly closedByBroker = new WeakSet<Client>();
  /** Payload buffers of quarantined publications, never forwarded (aedes copies the packet, not the buffer). */
  private readonly quarantinedPayloads = new WeakSet<Buffer>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly counters = {
    accepted: 0,
    quarantined: 0,
    refusedConnections: 0,
    refusedPublications: 0,
    refusedSubscriptions: 0,
    oversizePackets: 0,
    droppedConnections: 0,
    storeFailures: 0,
  };

  constructor(
    private readonly config: Pick<FireiotConfig, 'host' | 'mqtt'>,
    private readonly ingest: MqttIngestService,
    private readonly devices: DeviceRepository,
    private readonly clock: ReceiveClock,
    options: EmbeddedMqttBrokerOptions = {},
  ) {
    this.maxPacketBytes = options.maxPacketBytes ?? 64 * 1024;
    this.maxConnections = options.maxConnections ?? 10_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.authCacheMs = options.authCacheMs ?? 10 * 60_000;
  }

  /** The port listened on (useful with `config.mqtt.port` = 0). */
  get port(): number {
    const address = this.server?.address();
    if (!address || typeof address === 'string')
      throw new MqttIngestError('not-started', 'the MQTT broker is not listening');
    return address.port;
  }

  async start(): Promise<void> {
    if (this.broker) throw new MqttIngestError('already-started', 'the MQTT broker is already started');
    this.stopping = false;
    // aedes 1.x is an ES module: loaded when the broker starts (require(esm), Node ≥ 20.19), so
    // importing this library costs nothing when the embedded broker is not used.
    const { Aedes } = await import('aedes');
    const options: AedesOptions = {
      connectTimeout: this.connectTimeoutMs,
      // Wills are dropped: presence comes from heartbeats and the broker's own connected/disconnected
      // messages, and a will published at disconnection has no wire receive time.
      preConnect: (_client, packet, done) => {
        delete packet.will;
        done(null, true);
      },
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
      authorizeForward: (_client, packet) => (this.quarantinedPayloads.has(payloadOf(packet)) ? null : packet),
    };
    const broker = await Aedes.createBroker(options);
    broker.on('clientReady', (client) => this.connected(client));
    broker.on('clientDisconnect', (client) => this.disconnected(client));
    broker.on('clientError', (client, error) => this.disconnectReasons.set(client, error.message.slice(0, 200)));
    broker.on('keepaliveTimeout', (client) => this.disconnectReasons.set(client, 'keepalive timeout'));
    broker.on('connectionError', () => undefined); // bad CONNECTs and cut connections: counted where they happen
    // aedes emits 'error' for persistence failures; its typings omit the event.
    const emitter: EventEmitter = broker;
    emitter.on('error', (error: unknown) => this.logger.error({ msg: 'MQTT broker error', error: String(error) }));

    const server = createServer((socket) => this.accept(broker, socket));
    server.maxConnections = this.maxConnections;
    server.on('drop', () => this.counters.droppedConnections++);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.mqtt.port, this.config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await closeBroker(broker);
      throw new MqttIngestError(
        'listen-failed',
        `MQTT broker cannot listen on ${this.config.host}:${this.config.mqtt.port}: ${String(error)}`,
        { cause: error },
      );
    }
    server.on('error', (error) => this.logger.error({ msg: 'MQTT server error', error: String(error) }));
    this.broker = broker;
    this.server = server;
    this.logger.log({ msg: 'MQTT broker listening', host: this.config.host, port: this.port });
  }

  /** Stops accepting, lets publications being stored finish (and be acknowledged), then closes every client. */
  async stop(): Promise<void> {
    const { broker, server } = this;
    if (!broker || !server) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([...this.inflight]);
    await closeBroker(broker);
    await closed;
    await Promise.allSettled([...this.inflight]); // the 'disconnected' presence messages
    this.broker = null;
    this.server = null;
    this.verified.clear();
  }

  stats(): EmbeddedMqttBrokerStats {
    return { connectedClients: this.broker?.connectedClients ?? 0, ...this.counters };
  }

  private accept(broker: Aedes, socket: Socket): void {
    socket.setNoDelay(true);
    const connection = new GuardedMqttConnection(socket, {
      maxPacketBytes: this.maxPacketBytes,
      clock: this.clock,
      onViolation: (reason, peer) => {
        this.counters.oversizePackets++;
        this.logger.warn({ msg: 'MQTT connection cut', reason, peer });
      },
    });
    broker.handle(connection);
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const peer = peerOf(client);
    const refuse = (code: ConnackCode, reason: string): void => {
      this.counters.refusedConnections++;
      this.logger.warn({
        msg: 'MQTT connection refused',
        deviceId: username ?? null,
        clientId: client.id,
        code,
        reason,
        peer,
      });
      const error = Object.assign(new Error(reason), { returnCode: code as number as AuthErrorCode });
      done(error, false);
    };
    if (username === undefined || !isValidDeviceId(username)) {
      refuse(CONNACK.badUsernameOrPassword, 'the username must be a device id');
      return;
    }
    if (client.id !== username) {
      refuse(CONNACK.identifierRejected, 'the client id must equal the username (the device id)');
      return;
    }
    const track = this.checkPassword(username, password ?? Buffer.alloc(0)).then(
      (verdict) => {
        switch (verdict) {
          case 'ok':
            done(null, true);
            return;
          case 'bad-credentials':
            refuse(CONNACK.badUsernameOrPassword, 'unknown device or wrong password');
            return;
          case 'no-mqtt-credentials':
            refuse(CONNACK.notAuthorized, 'the device has no MQTT credentials');
            return;
        }
      },
      (error: unknown) => refuse(CONNACK.serverUnavailable, `device registry unavailable: ${String(error)}`),
    );
    this.track(track);
  }

  private async checkPassword(
    deviceId: string,
    password: Buffer,
  ): Promise<'ok' | 'bad-credentials' | 'no-mqtt-credentials'> {
    const device = await this.devices.findByKey(mqttDeviceKey(deviceId));
    if (!device) {
      // Verified against a dummy when the device is unknown, so both refusals take the same time.
      await verifySecret(password.length > 0 ? password : 'x', DUMMY_SECRET_HASH);
      return 'bad-credentials';
    }
    if (device.mqttSecret === null) return 'no-mqtt-credentials';
    if (password.length === 0) return 'bad-credentials';
    const digest = createHash('sha256').update(password).digest();
    const cached = this.verified.get(deviceId);
    if (
      cached &&
      cached.stored === device.mqttSecret &&
      cached.expiresAt > Date.now() &&
      timingSafeEqual(cached.digest, digest)
    ) {
      return 'ok';
    }
    if (!(await verifySecret(password, device.mqttSecret))) return 'bad-credentials';
    if (this.verified.size > 100_000) this.verified.clear();
    this.verified.set(deviceId, { stored: device.mqttSecret, digest, expiresAt: Date.now() + this.authCacheMs });
    return 'ok';
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    // `null`: a will of a client of another broker instance (none here: wills are dropped).
    if (client === null) {
      done(new MqttIngestError('publish-refused', 'a publication without a client'));
      return;
    }
    const receivedAt = receivedAtOf(client) ?? this.clock.now();
    const payload = payloadOf(packet);
    packet.retain = false;
    const track = this.ingest
      .ingest({
        topic: packet.topic,
        payload,
        clientId: client.id,
        authenticatedDeviceId: client.id,
        peer: peerOf(client),
        receivedAt,
        ...(packet.messageId !== undefined ? { messageId: packet.messageId } : {}),
        dup: packet.dup,
      })
      .then(
        (outcome) => {
          const verdict = this.verdict(outcome, payload);
          if (verdict) this.closedByBroker.add(client); // aedes closes the connection on an error
          done(verdict);
        },
        (error: unknown) => {
          this.closedByBroker.add(client);
          this.counters.storeFailures++;
          this.logger.error({
            msg: 'MQTT publication not stored',
            deviceId: client.id,
            topic: packet.topic,
            error: String(error),
          });
          done(error instanceof Error ? error : new MqttIngestError('store-failed', String(error)));
        },
      );
    this.track(track);
  }

  /** What aedes is told after the commit: nothing (acknowledge) or an error (close the connection). */
  private verdict(outcome: MqttIngestOutcome, payload: Buffer): Error | null {
    switch (outcome.status) {
      case 'stored':
        this.counters.accepted++;
        return null;
      case 'quarantined':
        if (outcome.refused) {
          this.counters.refusedPublications++;
          return new MqttIngestError('publish-refused', `${outcome.code}: ${outcome.reason}`);
        }
        this.counters.quarantined++;
        this.quarantinedPayloads.add(payload);
        return null;
    }
  }

  private authorizeSubscribe(
    client: Client,
    subscription: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    if (isWithinNamespace(subscription.topic, client.id)) {
      done(null, subscription);
      return;
    }
    this.counters.refusedSubscriptions++;
    this.logger.warn({
      msg: 'MQTT subscription refused',
      deviceId: client.id,
      topic: subscription.topic,
      code: 'foreign-subscription',
      peer: peerOf(client),
    });
    done(null, null); // SUBACK 0x80 for this filter; the connection stays
  }

  private connected(client: Client): void {
    this.current.set(client.id, client);
    this.track(
      this.ingest.connectionChanged({
        deviceId: client.id,
        event: 'connected',
        at: this.clock.now(),
        peer: peerOf(client),
      }),
    );
  }

  private disconnected(client: Client): void {
    // A connection replaced by a newer one of the same device: the device is still connected.
    if (this.current.get(client.id) !== client) return;
    this.current.delete(client.id);
    const reason = this.stopping ? 'gateway stopping' : (this.disconnectReasons.get(client) ?? 'closed');
    // Who ended the link (CQC/SC 11002 4.4.2: a peer's close is a loss, the gateway's shutdown is not).
    const closedBy = this.stopping ? 'shutdown' : this.closedByBroker.has(client) ? 'platform' : 'peer';
    this.track(
      this.ingest.connectionChanged({
        deviceId: client.id,
        event: 'disconnected',
        at: this.clock.now(),
        peer: peerOf(client),
        reason,
        closedBy,
      }),
    );
  }

  private track(work: Promise<unknown>): void {
    const settled = work.catch((error: unknown) =>
      this.logger.error({ msg: 'MQTT broker task failed', error: String(error) }),
    );
    this.inflight.add(settled);
    void settled.finally(() => this.inflight.delete(settled));
  }
}

function payloadOf(packet: PublishPacket | AedesPublishPacket): Buffer {
  return typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
}

function peerOf(client: Client): string {
  return client.conn instanceof GuardedMqttConnection ? client.conn.peer : 'unknown';
}

function receivedAtOf(client: Client): ReceiveTime | null {
  return client.conn instanceof GuardedMqttConnection ? client.conn.takePublishReceiveTime() : null;
}

function closeBroker(broker: Aedes): Promise<void> {
  return new Promise((resolve) => broker.close(() => resolve()));
}
