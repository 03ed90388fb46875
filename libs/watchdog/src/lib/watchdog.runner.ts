import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { WatchdogService } from './watchdog.service';

const GROUP = 'watchdog';

/**
 * Runs the watchdog: rebuild from storage (restart rule), then consume presence, device changes
 * and shields, and look at the deadlines every `FIREIOT_WATCHDOG_TICK_MS`.
 *
 * Ownership: every presence message of a device goes to one consumer of the `watchdog` group
 * (messages are keyed by device), and that process watches the device: with the in-process bus
 * this process owns every device; with Kafka each replica the partitions it is assigned.
 */
@Injectable()
export class WatchdogRunner {
  private readonly logger = new Logger(WatchdogRunner.name);
  private timer: NodeJS.Timeout | null = null;
  private loading: Promise<void> = Promise.resolve();

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
    private readonly watchdog: WatchdogService,
  ) {}

  async start(): Promise<void> {
    const w = this.watchdog;
    await this.bus.subscribe('fireiot.device.presence.v1', GROUP, (m) => w.onPresence(m));
    await this.bus.subscribe('fireiot.devices.changed.v1', GROUP, (m) => w.onDeviceChanged(m));
    await this.bus.subscribe('fireiot.shields.v1', GROUP, async (m) => w.onShield(m));
    // Ownership follows the presence topic's partitions: a rebalance hands devices over, and the
    // new owner rebuilds their watch from storage under the restart rule.
    const ownership = this.bus.ownership('fireiot.device.presence.v1', GROUP);
    w.useOwnership(ownership);
    ownership.onChange(() => void this.reload('partitions reassigned'));
    await this.reload('start');
    this.timer = setInterval(() => w.tick(Date.now()), this.config.watchdog.tickMs);
    this.timer.unref();
  }

  private reload(why: string): Promise<void> {
    this.loading = this.loading
      .catch(() => undefined)
      .then(async () => {
        try {
          const loaded = await this.watchdog.load(Date.now());
          this.logger.log({ msg: 'watchdog ready', why, ...loaded });
        } catch (error) {
          this.logger.error({ msg: 'watchdog not rebuilt', why, error: String(error) });
          if (why === 'start') throw error;
        }
      });
    return this.loading;
  }

  /**
   * The platform begins to stop: its listeners are about to close, so silence from now on says
   * nothing about the devices; no more deadlines are looked at. (Closes by the platform itself
   * are marked `shutdown` by the gateway and ignored.)
   */
  quiesce(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** After the bus stopped delivering: every loss found is stored (and handed to the bus if it still takes it). */
  async stop(): Promise<void> {
    this.quiesce();
    await this.watchdog.flush();
  }
}
