import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { Gb26875Server, MQTT_INGRESS, MqttIngress } from '@fireiot/gateway';
import { APP_POOL, DatabaseHandle, PartitionMaintenance, PresenceRecorder, RawStore } from '@fireiot/storage';
import { Pool } from 'pg';

/**
 * A part of the platform with its own start and stop (the alerting pipeline, the notifier),
 * provided by the composing app under `LIFECYCLE_PARTICIPANTS`. Started in order after storage
 * and before the gateway accepts devices; stopped in reverse order after the bus has drained.
 */
export interface LifecycleParticipant {
  readonly name: string;
  start(): Promise<unknown>;
  /**
   * Called first when the platform begins to stop, before the listeners close: stop drawing
   * conclusions from input that is about to end (the watchdog stops declaring devices silent).
   */
  quiesce?(): void;
  stop(): Promise<void>;
}
export const LIFECYCLE_PARTICIPANTS = Symbol('LIFECYCLE_PARTICIPANTS');

export type LifecycleState = 'starting' | 'running' | 'stopping' | 'stopped';

export interface ListeningPorts {
  /** null when this process does not ingest devices. */
  gb26875: number | null;
  /** The embedded MQTT broker's port; null when bridged to an external broker. */
  mqtt: number | null;
}

/**
 * Starts the platform's listeners in order and stops everything in the reverse order, so a
 * clean shutdown (SIGINT/SIGTERM) loses nothing: stop accepting (TCP, then MQTT) → finish every frame already
 * read (stored, confirmed) → flush the raw store and last-seen times → close the bus (its queues
 * drained) → stop the participants (alerts and attempts committed) → close the database (and the
 * embedded server).
 */
@Injectable()
export class PlatformLifecycle {
  private readonly logger = new Logger(PlatformLifecycle.name);
  state: LifecycleState = 'starting';

  constructor(
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
    // Absent in a process without device ingestion (apps/alerting, distributed mode).
    @Optional() @Inject(Gb26875Server) private readonly gateway: Gb26875Server | null,
    @Optional() @Inject(MQTT_INGRESS) private readonly mqtt: MqttIngress | null,
    private readonly store: RawStore,
    private readonly presence: PresenceRecorder,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(APP_POOL) private readonly pool: Pool,
    private readonly database: DatabaseHandle,
    private readonly partitions: PartitionMaintenance,
    @Optional() @Inject(LIFECYCLE_PARTICIPANTS) private readonly participants: readonly LifecycleParticipant[] = [],
  ) {}

  async start(): Promise<ListeningPorts> {
    for (const participant of this.participants) {
      const result = await participant.start();
      this.logger.log({ msg: 'started', participant: participant.name, result });
    }
    const gb26875 = this.gateway ? await this.gateway.listen() : null;
    await this.mqtt?.start();
    this.state = 'running';
    return { gb26875, mqtt: this.mqtt?.port ?? null };
  }

  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    const step = async (name: string, work: () => Promise<void>): Promise<void> => {
      try {
        await work();
      } catch (error) {
        this.logger.error({ msg: 'shutdown step failed', step: name, error: String(error) });
      }
    };
    for (const participant of this.participants) participant.quiesce?.();
    await step('gateway', async () => this.gateway?.stop());
    await step('mqtt', async () => this.mqtt?.stop());
    await step('raw store', () => this.store.close());
    await step('presence', () => this.presence.stop());
    await step('bus', () => this.bus.close());
    for (const participant of [...this.participants].reverse()) {
      await step(participant.name, () => participant.stop());
    }
    this.partitions.stop();
    await step('pool', () => this.pool.end());
    await step('database', async () => this.database.embedded?.stop());
    this.state = 'stopped';
    this.logger.log({ msg: 'stopped cleanly', gatewayId: this.config.gatewayId });
  }
}
