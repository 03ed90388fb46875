import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { ScrapedGauge } from './metrics.registry';

/**
 * `fireiot_bus_lag_messages` (CQC/SC 11002 4.4.1 platform running state), read at scrape time
 * from the in-process bus's counters: published − delivered − rejected − failed handlings, ≥ 0.
 * Approximate: a message on a topic nobody consumes in this process stays counted, and a topic
 * with several consumer groups counts one delivery per group. Not exported with Kafka (its lag
 * is the brokers' consumer-group lag).
 */
@Injectable()
export class BusLagGauge implements OnModuleInit, OnModuleDestroy {
  private detach: (() => void) | null = null;

  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  onModuleInit(): void {
    if (this.bus.adapter !== 'in-process') return;
    const gauge = ScrapedGauge.of(
      'fireiot_bus_lag_messages',
      'Messages published on the in-process bus and not yet handled: published - delivered - rejected - handler errors (CQC/SC 11002 4.4.1)',
    );
    this.detach = gauge.attach(() => {
      const s = this.bus.stats();
      return [{ labels: {}, value: Math.max(0, s.published - s.delivered - s.rejected - s.handlerErrors) }];
    });
  }

  onModuleDestroy(): void {
    this.detach?.();
    this.detach = null;
  }
}
