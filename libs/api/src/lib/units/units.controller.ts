import { Body, Controller, Get, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { Principal } from '@fireiot/identity';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Roles } from '../auth/roles.decorator';
import { IdentityErrorFilter } from '../http/identity-error.filter';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { CreateUnitUserBody, createUnitUserSchema } from '../users/users.schema';
import { CreateContactBody, createContactSchema, CreateUnitBody, createUnitSchema } from './units.schema';
import { UnitsService, UnitView } from './units.service';

/** Contract, "HTTP API", provisioning: units, their users (app channel) and contacts (SMS, voice). */
@Controller('api/units')
@UseGuards(BearerAuthGuard)
@UseFilters(IdentityErrorFilter)
export class UnitsController {
  constructor(private readonly units: UnitsService) {}

  @Post()
  @Roles('operator')
  create(@Body(new ZodValidationPipe(createUnitSchema)) body: CreateUnitBody): Promise<{ id: string }> {
    return this.units.createUnit(body);
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<{ units: UnitView[] }> {
    return { units: await this.units.list(principal) };
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<UnitView> {
    return this.units.get(principal, id);
  }

  @Post(':id/users')
  @Roles('operator')
  createUser(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(createUnitUserSchema)) body: CreateUnitUserBody,
  ): Promise<{ id: string }> {
    return this.units.createUnitUser(id, body);
  }

  @Post(':id/contacts')
  @Roles('operator')
  createContact(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(createContactSchema)) body: CreateContactBody,
  ): Promise<{ id: string }> {
    return this.units.createContact(id, body);
  }
}
