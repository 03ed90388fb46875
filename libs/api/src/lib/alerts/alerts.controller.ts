import { Body, Controller, Get, HttpCode, Param, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import { AlertDetail, AlertSummary } from '@fireiot/evidence';
import { Principal } from '@fireiot/identity';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Roles } from '../auth/roles.decorator';
import { AlertsErrorFilter } from './alerts-error.filter';
import { AlertsService } from './alerts.service';

/** `/api/alerts` (contract.md, HTTP API). */
@Controller('api/alerts')
@UseGuards(BearerAuthGuard)
@UseFilters(AlertsErrorFilter)
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  async list(@CurrentPrincipal() who: Principal, @Query() query: unknown): Promise<{ alerts: AlertSummary[] }> {
    return { alerts: await this.alerts.list(who, query) };
  }

  @Get(':id')
  get(@CurrentPrincipal() who: Principal, @Param('id') id: string): Promise<AlertDetail> {
    return this.alerts.get(who, id);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  confirm(@CurrentPrincipal() who: Principal, @Param('id') id: string, @Body() body: unknown): Promise<AlertDetail> {
    return this.alerts.confirm(who, id, body);
  }

  /** The monitoring centre's handling steps (CQC/SC 11002 5.4.1 e): operators only. */
  @Post(':id/steps')
  @HttpCode(200)
  @Roles('operator')
  step(@CurrentPrincipal() who: Principal, @Param('id') id: string, @Body() body: unknown): Promise<AlertDetail> {
    return this.alerts.step(who, id, body);
  }

  @Post(':id/close')
  @HttpCode(200)
  close(@CurrentPrincipal() who: Principal, @Param('id') id: string, @Body() body: unknown): Promise<AlertDetail> {
    return this.alerts.close(who, id, body);
  }
}
