import { Body, Controller, Get, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import { Principal } from '@fireiot/identity';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Roles } from '../auth/roles.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { DutyErrorFilter } from './duty-error.filter';
import { invalidDutyRequest } from './duty.error';
import {
  DutyQuery,
  dutyQuerySchema,
  EntryBody,
  entrySchema,
  HandoverBody,
  handoverSchema,
  ShiftBody,
  shiftSchema,
} from './duty.schema';
import { DutyEntry, DutyService, DutyView } from './duty.service';

/**
 * `/api/duty` (CQC/SC 11002 5.4.1 a, b): the duty log and shift handovers. Operators write;
 * operators and auditors read; unit users are refused (403).
 */
@Controller('api/duty')
@UseGuards(BearerAuthGuard)
@UseFilters(DutyErrorFilter)
export class DutyController {
  constructor(private readonly duty: DutyService) {}

  @Get()
  @Roles('operator', 'auditor')
  view(@Query(new ZodValidationPipe(dutyQuerySchema, invalidDutyRequest)) query: DutyQuery): Promise<DutyView> {
    return this.duty.view(query);
  }

  @Post('start')
  @Roles('operator')
  start(
    @CurrentPrincipal() who: Principal,
    @Body(new ZodValidationPipe(shiftSchema, invalidDutyRequest)) body: ShiftBody,
  ): Promise<DutyEntry> {
    return this.duty.start(who, body);
  }

  @Post('end')
  @Roles('operator')
  end(
    @CurrentPrincipal() who: Principal,
    @Body(new ZodValidationPipe(shiftSchema, invalidDutyRequest)) body: ShiftBody,
  ): Promise<DutyEntry> {
    return this.duty.end(who, body);
  }

  @Post('entries')
  @Roles('operator')
  entry(
    @CurrentPrincipal() who: Principal,
    @Body(new ZodValidationPipe(entrySchema, invalidDutyRequest)) body: EntryBody,
  ): Promise<DutyEntry> {
    return this.duty.note(who, body);
  }

  @Post('handover')
  @Roles('operator')
  handover(
    @CurrentPrincipal() who: Principal,
    @Body(new ZodValidationPipe(handoverSchema, invalidDutyRequest)) body: HandoverBody,
  ): Promise<DutyEntry> {
    return this.duty.handover(who, body);
  }
}
