import { Body, Controller, Get, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import { Principal } from '@fireiot/identity';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Roles } from '../auth/roles.decorator';
import { IdentityErrorFilter } from '../http/identity-error.filter';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { MaintenanceErrorFilter } from './maintenance-error.filter';
import {
  DueQuery,
  dueQuerySchema,
  RecordBody,
  recordBodySchema,
  RecordsQuery,
  recordsQuerySchema,
} from './maintenance.schema';
import { DueList, MaintenanceService, PlanView, RecordView } from './maintenance.service';

/**
 * `/api/maintenance` (CQC/SC 11002 4.4.4, Annex A): the plan, what is due, and the records of
 * maintenance done. Reads are scoped by role and unit; recording is for operators.
 */
@Controller('api/maintenance')
@UseGuards(BearerAuthGuard)
@UseFilters(IdentityErrorFilter, MaintenanceErrorFilter)
export class MaintenanceController {
  constructor(private readonly maintenance: MaintenanceService) {}

  @Get('plan')
  plan(): PlanView {
    return this.maintenance.plan();
  }

  @Get('due')
  due(
    @CurrentPrincipal() who: Principal,
    @Query(new ZodValidationPipe(dueQuerySchema)) query: DueQuery,
  ): Promise<DueList> {
    return this.maintenance.due(who, query);
  }

  @Post('records')
  @Roles('operator')
  record(
    @CurrentPrincipal() who: Principal,
    @Body(new ZodValidationPipe(recordBodySchema)) body: RecordBody,
  ): Promise<{ id: string }> {
    return this.maintenance.record(who, body);
  }

  @Get('records')
  async records(
    @CurrentPrincipal() who: Principal,
    @Query(new ZodValidationPipe(recordsQuerySchema)) query: RecordsQuery,
  ): Promise<{ records: RecordView[] }> {
    return { records: await this.maintenance.list(who, query) };
  }
}
