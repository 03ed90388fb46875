import { Logger } from '@nestjs/common';
import { connect, IPublishPacket, MqttClient } from 'mqtt';
import { FireiotConfig } from '@fireiot/config';
import { ReceiveClock } from '@fireiot/events';
import { MqttIngestError } from './mqtt-ingest.error';
import { MqttInboundMessage, MqttIngestService } from './mqtt-ingest.service';
import { MQTT_TOPIC_ROOT } from './mqtt-topic.util';

export interface ExternalMqttBridgeOptions {
  /**
   * The bridge's MQTT client id. Fixed per gateway (default `fireiot-gateway-<gatewayId>`): the
   * broker keeps this persistent session's subscriptions and queues QoS 1 messages for it while
   * the gateway is down (clean session off), so a restart loses nothing the broker accepted.
   */
  readonly clientId?: string;
  /** CONNACK wait per attempt. */
  readonly connectTimeoutMs?: number;
  /** `start()` fails if no connection is made within this time (retrying meanwhile). */
  readonly startTimeoutMs?: number;
  readonly reconnectPeriodMs?: number;
  readonly keepaliveS?: number;
}

export interface ExternalMqttBridgeStats {
  connected: boolean;
  /** Messages received from the broker. */
  received: number;
  stored: number;
  quarantined: number;
  /** Messages not stored: not acknowledged; the connection is dropped so the broker redelivers. */
  storeFailures: number;
  reconnects: number;
}

/** The subscriptions of the bridge: every device's events and heartbeats. */
export const BRIDGE_SUBSCRIPTIONS = [`${MQTT_TOPIC_ROOT}/+/events`, `${MQTT_TOPIC_ROOT}/+/heartbeat`] as const;

/**
 * External-broker mode (`FIREIOT_MQTT_URL` set, e.g. `mqtt://fireiot:secret@mosquitto:1883`):
 * the gateway is a client of the broker under the service account of the URL, subscribed with
 * QoS 1 to `fireiot/v1/devices/+/events` and `…/+/heartbeat`, and feeds each message to the
 * ingestion use case (CQC/SC 11002 4.1.1–4.1.3).
 *
 * Acknowledgement after storage: mqtt.js sends the PUBACK to the broker when its
 * `handleMessage(packet, callback)` calls back (its documented backpressure hook; the
 * `customHandleAcks` option works with MQTT 5 only), and the bridge calls back once the message
 * is committed (raw_mqtt or quarantine). If storing fails, no PUBACK is sent
 * and the connection is dropped: the broker redelivers the message when the bridge reconnects
 * (persistent session), and a redelivery (DUP) of a message stored but not acknowledged is
 * recognised and not stored twice. mqtt.js hands over one message at a time (it waits for each
 * acknowledgement before the next packet), so the bridge stores messages one by one — a few
 * hundred per second per gateway; a bigger fleet shares the load between gateways with a shared
 * subscription (`$share/fireiot/…`, broker permitting).
 *
 * Limits of this mode, by design of MQTT 3.1.1:
 * - **Device authentication and ACLs are the broker's job.** A subscriber is not told who
 *   published a message, so the bridge cannot check that the publisher is the device the topic
 *   names (`foreign-device-id` never happens here). The broker must authenticate each device
 *   (username = device id) and confine it to its namespace, e.g. mosquitto:
 *   `pattern readwrite fireiot/v1/devices/%u/#` in the ACL file, and give the service account
 *   `topic read fireiot/v1/devices/#`.
 * - **Receive time** is taken when the message reaches the gateway, after the broker's queueing.
 * - **Connection presence** (connected / disconnected) is not known; heartbeats are.
 */
export class ExternalMqttBridge {
  private readonly logger = new Logger(ExternalMqttBridge.name);
  private readonly clientId: string;
  private peer = 'broker:unknown';
  private client: MqttClient | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private readonly counters = { received: 0, stored: 0, quarantined: 0, storeFailures: 0, reconnects: 0 };

  constructor(
    private readonly config: Pick<FireiotConfig, 'mqtt' | 'gatewayId'>,
    private readonly ingest: MqttIngestService,
    private readonly clock: ReceiveClock,
    private readonly options: ExternalMqttBridgeOptions = {},
  ) {
    this.clientId = options.clientId ?? `fireiot-gateway-${config.gatewayId}`.replace(/[^A-Za-z0-9._-]/g, '_');
  }

  async start(): Promise<void> {
    if (this.client) throw new MqttIngestError('already-started', 'the MQTT bridge is already started');
    const url = this.brokerUrl();
    this.peer = `broker:${url.host}`;
    const client = connect(url.href, {
      clientId: this.clientId,
      protocolVersion: 4,
      clean: false,
      keepalive: this.options.keepaliveS ?? 30,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 2_000,
    });
    // mqtt.js sends the PUBACK (QoS 1) / PUBREC (QoS 2) when this callback is called; messages
    // queued by the broker may arrive right after CONNACK, so this is set before connecting.
    client.handleMessage = (packet, callback) => this.onMessage(packet, callback);
    client.on('reconnect', () => this.counters.reconnects++);
    client.on('offline', () => this.logger.warn({ msg: 'MQTT bridge offline', broker: safeUrl(url) }));
    this.client = client;
    try {
      await firstConnection(client, this.options.startTimeoutMs ?? 30_000);
      client.on('error', (error) => this.logger.warn({ msg: 'MQTT bridge error', error: String(error) }));
      const granted = await client.subscribeAsync([...BRIDGE_SUBSCRIPTIONS], { qos: 1 });
      const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) throw new Error(`subscriptions refused: ${refused.join(', ')}`);
    } catch (error) {
      this.client = null;
      await client.endAsync(true);
      throw new MqttIngestError('connect-failed', `MQTT bridge to ${safeUrl(url)} failed: ${String(error)}`, {
        cause: error,
      });
    }
    this.logger.log({ msg: 'MQTT bridge connected', broker: safeUrl(url), clientId: this.clientId });
  }

  /** Lets the messages being stored finish (and be acknowledged), then disconnects. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    await Promise.allSettled([...this.inflight]);
    this.client = null;
    await client.endAsync();
  }

  stats(): ExternalMqttBridgeStats {
    return { connected: this.client?.connected ?? false, ...this.counters };
  }

  private onMessage(packet: IPublishPacket, callback: (error?: Error) => void): void {
    this.counters.received++;
    const message: MqttInboundMessage = {
      topic: packet.topic,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload,
      clientId: this.clientId,
      authenticatedDeviceId: null,
      peer: this.peer,
      receivedAt: this.clock.now(),
      ...(packet.messageId !== undefined ? { messageId: packet.messageId } : {}),
      dup: packet.dup,
    };
    const handled = this.ingest.ingest(message).then(
      (outcome) => {
        switch (outcome.status) {
          case 'stored':
            this.counters.stored++;
            break;
          case 'quarantined':
            this.counters.quarantined++;
            break;
        }
        callback();
      },
      (error: unknown) => {
        // No PUBACK: drop the connection, so the broker redelivers once the bridge is back.
        this.counters.storeFailures++;
        this.logger.error({
          msg: 'MQTT message not stored; reconnecting for redelivery',
          topic: packet.topic,
          error: String(error),
        });
        this.client?.stream.destroy();
        callback(error instanceof Error ? error : new Error(String(error)));
      },
    );
    this.inflight.add(handled);
    void handled.finally(() => this.inflight.delete(handled));
  }

  private brokerUrl(): URL {
    if (this.config.mqtt.url === null) {
      throw new MqttIngestError('connect-failed', 'no external MQTT broker configured (FIREIOT_MQTT_URL)');
    }
    return new URL(this.config.mqtt.url);
  }
}

/** Resolves on the first CONNACK; rejects on a refusal (bad credentials) or after `timeoutMs` of retrying. */
function firstConnection(client: MqttClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    const onConnect = () => finish(null);
    const onError = (error: Error) => finish(error);
    function finish(error: Error | null): void {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      if (error) reject(error);
      else resolve();
    }
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}

function safeUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}
