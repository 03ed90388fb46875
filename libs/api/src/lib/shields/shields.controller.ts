import { Body, Controller, Get, HttpCode, Param, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import { ShieldRecord } from '@fireiot/evidence';
import { Principal } from '@fireiot/identity';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Roles } from '../auth/roles.decorator';
import { IdentityErrorFilter } from '../http/identity-error.filter';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { ShieldsErrorFilter } from './shields-error.filter';
import { LiftBody, liftSchema, ShieldBody, shieldQuerySchema, ShieldQuery, shieldSchema } from './shields.schema';
import { ShieldsService } from './shields.service';

/**
 * Shields (CQC/SC 11002 4.4.4): `POST /api/devices/:id/shields` and `POST /api/shields/:id/lift`
 * (operators); `GET /api/shields`, `GET /api/shields/:id` (every role, a unit user only its own).
 */
@Controller('api')
@UseGuards(BearerAuthGuard)
@UseFilters(IdentityErrorFilter, ShieldsErrorFilter)
export class ShieldsController {
  constructor(private readonly shields: ShieldsService) {}

  @Post('devices/:id/shields')
  @Roles('operator')
  shield(
    @CurrentPrincipal() who: Principal,
    @Param('id') deviceId: string,
    @Body(new ZodValidationPipe(shieldSchema)) body: ShieldBody,
  ): Promise<ShieldRecord> {
    return this.shields.shield(who, deviceId, body);
  }

  @Post('shields/:id/lift')
  @HttpCode(200)
  @Roles('operator')
  lift(
    @CurrentPrincipal() who: Principal,
    @Param('id') shieldId: string,
    @Body(new ZodValidationPipe(liftSchema)) body: LiftBody,
  ): Promise<ShieldRecord> {
    return this.shields.lift(who, shieldId, body);
  }

  @Get('shields')
  async list(
    @CurrentPrincipal() who: Principal,
    @Query(new ZodValidationPipe(shieldQuerySchema)) query: ShieldQuery,
  ): Promise<{ shields: ShieldRecord[] }> {
    return { shields: await this.shields.list(who, query) };
  }

  @Get('shields/:id')
  get(@CurrentPrincipal() who: Principal, @Param('id') shieldId: string): Promise<ShieldRecord> {
    return this.shields.find(who, shieldId);
  }
}
