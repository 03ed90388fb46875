import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { FrameJson, frameJsonSchema, microsToIso, ReceiveClock, sensorPayloadSchema } from '@fireiot/events';
import { AlertRepository, UnitDirectory } from '@fireiot/evidence';
import { decodeFrame } from '@fireiot/gb26875';
import { ClassificationService } from './classification.service';
import { RawReplayRepository } from './raw-replay.repository';

const CHECKPOINT = 'classification';
const EVENTS_TOPIC = /^fireiot\/v1\/devices\/[^/]+\/events$/;

export interface ReplayResult {
  readonly since: string | null;
  readonly frames: number;
  readonly sensorEvents: number;
  readonly undecodable: number;
}

/**
 * Runs the pipeline: at start, the open alarms are rebuilt and raw rows received after the last
 * checkpoint are replayed (idempotently: alert ids derive from their source), then the bus is
 * consumed; the checkpoint is saved every `checkpointMs` and at stop.
 */
@Injectable()
export class PipelineRunner {
  private readonly logger = new Logger(PipelineRunner.name);
  private readonly clock = new ReceiveClock();
  private timer: NodeJS.Timeout | null = null;
  private directoryTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly classification: ClassificationService,
    private readonly alerts: AlertRepository,
    private readonly raw: RawReplayRepository,
    private readonly directory: UnitDirectory,
  ) {}

  async start(checkpointMs = 2_000, directoryReloadMs = 30_000): Promise<ReplayResult> {
    // Every device in memory first: no message waits for its device's lookup, at start or later.
    const devices = await this.directory.preloadDevices();
    this.directoryTimer = setInterval(() => {
      this.directory.preloadDevices().catch((error: unknown) => {
        this.logger.warn({ msg: 'device directory not reloaded', error: String(error) });
      });
    }, directoryReloadMs);
    this.directoryTimer.unref();
    const since = await this.alerts.checkpoint(CHECKPOINT);
    const open = await this.classification.loadOpenAlarms(since);
    const replay = await this.replay(since);
    this.logger.log({ msg: 'pipeline ready', devices, openAlarms: open, ...replay });
    const c = this.classification;
    await this.bus.subscribe('fireiot.ingest.fire-alarms.v1', 'pipeline', (m) => c.onFrame(m));
    await this.bus.subscribe('fireiot.ingest.frames.v1', 'pipeline', (m) => c.onFrame(m));
    await this.bus.subscribe('fireiot.ingest.sensor-events.v1', 'pipeline', (m) => c.onSensor(m));
    await this.bus.subscribe('fireiot.ingest.sensor-fire-alarms.v1', 'pipeline', (m) => c.onSensor(m));
    await this.bus.subscribe('fireiot.alerts.lifecycle.v1', 'pipeline', async (m) => c.onLifecycle(m));
    this.timer = setInterval(() => void this.saveCheckpoint(), checkpointMs);
    this.timer.unref();
    return replay;
  }

  /** After the bus stopped delivering: writes committed, checkpoint saved. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.directoryTimer) clearInterval(this.directoryTimer);
    this.timer = null;
    this.directoryTimer = null;
    await this.alerts.flush();
    await this.saveCheckpoint();
  }

  private saveCheckpoint(): Promise<void> {
    this.saving = this.saving.then(async () => {
      try {
        await this.alerts.saveCheckpoint(
          CHECKPOINT,
          this.classification.watermark.processedThrough(this.clock.now().wallUs),
        );
      } catch (error) {
        this.logger.warn({ msg: 'checkpoint not saved', error: String(error) });
      }
    });
    return this.saving;
  }

  private async replay(since: string | null): Promise<ReplayResult> {
    if (since === null) {
      // First start: nothing was classified before; start from now (raw data stays stored).
      await this.alerts.saveCheckpoint(CHECKPOINT, microsToIso(this.clock.now().wallUs));
      return { since, frames: 0, sensorEvents: 0, undecodable: 0 };
    }
    const context = { storedAlertIds: await this.alerts.idsSince(since) };
    let frames = 0;
    let sensorEvents = 0;
    let undecodable = 0;
    for await (const page of this.raw.rows('raw_frames', since)) {
      for (const row of page) {
        const decoded = decodeFrame(row.bytes);
        const frame = decoded.ok ? frameJsonSchema.safeParse(decoded.frame) : null;
        if (!frame?.success) {
          undecodable++;
          continue;
        }
        frames++;
        await this.classification.onFrame(
          {
            rawId: row.id,
            deviceKey: row.deviceKey,
            deviceId: null,
            receivedAt: row.receivedAt,
            gatewayId: 'replay',
            frame: frame.data as FrameJson,
          },
          context,
        );
      }
    }
    for await (const page of this.raw.rows('raw_mqtt', since)) {
      for (const row of page) {
        if (row.topic === null || !EVENTS_TOPIC.test(row.topic)) continue;
        let json: unknown;
        try {
          json = JSON.parse(row.bytes.toString('utf8'));
        } catch {
          undecodable++;
          continue;
        }
        const payload = sensorPayloadSchema.safeParse(json);
        if (!payload.success) {
          undecodable++;
          continue;
        }
        sensorEvents++;
        await this.classification.onSensor(
          {
            rawId: row.id,
            deviceKey: row.deviceKey,
            deviceId: null,
            receivedAt: row.receivedAt,
            gatewayId: 'replay',
            payload: payload.data,
          },
          context,
        );
      }
    }
    // People's closes after the checkpoint are not in the raw data: applied last.
    for (const alertId of await this.alerts.closedSince(since))
      this.classification.onLifecycle({ alertId, type: 'closed' });
    await this.alerts.flush();
    return { since, frames, sensorEvents, undecodable };
  }
}
