import { Body, Controller, Get, Param, Post, Put, UseFilters, UseGuards } from '@nestjs/common';
import { Principal } from '@fireiot/identity';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Roles } from '../auth/roles.decorator';
import { IdentityErrorFilter } from '../http/identity-error.filter';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { CreateDeviceBody, createDeviceSchema, ProfileBody, profileSchema } from './devices.schema';
import { CreatedDevice, DevicesService, DeviceView } from './devices.service';

/**
 * Contract, "HTTP API": `POST /api/devices` (operator), `GET /api/devices`, `GET /api/devices/:id`
 * (with communication state, last seen, profile, last patrol), `PUT /api/devices/:id/profile`.
 */
@Controller('api/devices')
@UseGuards(BearerAuthGuard)
@UseFilters(IdentityErrorFilter)
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Post()
  @Roles('operator')
  create(@Body(new ZodValidationPipe(createDeviceSchema)) body: CreateDeviceBody): Promise<CreatedDevice> {
    return this.devices.create(body);
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<{ devices: DeviceView[] }> {
    return { devices: await this.devices.list(principal) };
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeviceView> {
    return this.devices.get(principal, id);
  }

  @Put(':id/profile')
  @Roles('operator')
  setProfile(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(profileSchema)) body: ProfileBody,
  ): Promise<DeviceView> {
    return this.devices.setProfile(principal, id, body);
  }
}
