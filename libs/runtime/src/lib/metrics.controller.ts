import { Controller, Get, Header } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';

let defaultsCollected = false;

/**
 * Prometheus exposition (contract: `GET /metrics`) of prom-client's default registry: process
 * metrics plus what each part registers (alert latency histograms, …). CQC/SC 11002 4.4.1.
 */
@Controller()
export class MetricsController {
  constructor() {
    if (!defaultsCollected) {
      collectDefaultMetrics({ prefix: 'fireiot_' });
      defaultsCollected = true;
    }
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
