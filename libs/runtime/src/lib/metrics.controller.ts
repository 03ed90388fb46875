import { Controller, Get, Header, Inject, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { Gb26875Server, MQTT_INGRESS, MqttIngress } from '@fireiot/gateway';
import { ScrapedGauge } from '@fireiot/monitoring';
import { collectDefaultMetrics, register } from 'prom-client';

let defaultsCollected = false;

/**
 * Prometheus exposition (contract: `GET /metrics`) of prom-client's default registry: process
 * metrics plus what each part registers (alert latency histograms, the access and storage
 * figures of libs/monitoring, …). CQC/SC 11002 4.4.1.
 */
@Controller()
export class MetricsController implements OnModuleInit, OnModuleDestroy {
  private detach: (() => void) | null = null;

  constructor(
    // Absent in a process without device ingestion (apps/alerting).
    @Optional() @Inject(Gb26875Server) private readonly gateway: Gb26875Server | null = null,
    @Optional() @Inject(MQTT_INGRESS) private readonly mqtt: MqttIngress | null = null,
  ) {
    if (!defaultsCollected) {
      collectDefaultMetrics({ prefix: 'fireiot_' });
      defaultsCollected = true;
    }
  }

  onModuleInit(): void {
    const { gateway, mqtt } = this;
    if (gateway === null && mqtt === null) return;
    // CQC/SC 11002 4.4.1 (running state).
    this.detach = ScrapedGauge.of(
      'fireiot_device_connections',
      'Open device connections by protocol: GB/T 26875.3 TCP connections, MQTT sessions on the embedded broker (CQC/SC 11002 4.4.1 running state)',
      ['protocol'],
    ).attach(() => {
      const values = gateway ? [{ labels: { protocol: 'gb26875' }, value: gateway.stats().connections }] : [];
      const sessions = mqtt?.connections() ?? null;
      return sessions === null ? values : [...values, { labels: { protocol: 'mqtt' }, value: sessions }];
    });
  }

  onModuleDestroy(): void {
    this.detach?.();
    this.detach = null;
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
