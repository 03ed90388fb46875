import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { APP_POOL } from '@fireiot/storage';
import { Pool } from 'pg';
import { PlatformLifecycle } from './platform.lifecycle';

/** Liveness and readiness (contract: `GET /healthz`, `GET /readyz`). */
@Controller()
export class HealthController {
  constructor(
    @Inject(APP_POOL) private readonly pool: Pool,
    private readonly lifecycle: PlatformLifecycle,
  ) {}

  /** The process answers. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready for devices: listening, database answering, not shutting down. */
  @Get('readyz')
  async readyz(): Promise<{ status: 'ready'; checks: Record<string, string> }> {
    const checks: Record<string, string> = { lifecycle: this.lifecycle.state };
    try {
      await this.pool.query('SELECT 1');
      checks['database'] = 'ok';
    } catch (error) {
      checks['database'] = `unavailable: ${String(error)}`;
    }
    if (this.lifecycle.state !== 'running' || checks['database'] !== 'ok') {
      throw new ServiceUnavailableException({ status: 'not-ready', checks });
    }
    return { status: 'ready', checks };
  }
}
