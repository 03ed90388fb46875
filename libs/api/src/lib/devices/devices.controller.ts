import { Body, Controller, Get, Param, Post, Put, Query, UseFilters, UseGuards } from '@nestjs/common';
import { Principal } from '@fireiot/identity';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Roles } from '../auth/roles.decorator';
import { IdentityErrorFilter } from '../http/identity-error.filter';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { DeviceReadingsService, ReadingsView } from './device-readings.service';
import {
  CreateDeviceBody,
  createDeviceSchema,
  ProfileBody,
  profileSchema,
  ReadingsQuery,
  readingsQuerySchema,
} from './devices.schema';
import { CreatedDevice, DevicesService, DeviceView } from './devices.service';

/**
 * Contract, "HTTP API": `POST /api/devices` (operator), `GET /api/devices`, `GET /api/devices/:id`
 * (with communication state, last seen, profile, last patrol), `GET /api/devices/:id/readings`,
 * `PUT /api/devices/:id/profile`.
 */
@Controller('api/devices')
@UseGuards(BearerAuthGuard)
@UseFilters(IdentityErrorFilter)
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly readingsOf: DeviceReadingsService,
  ) {}

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

  /** The latest uploads of the device (4.2 b), scoped like `GET /api/devices/:id`. */
  @Get(':id/readings')
  readings(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(readingsQuerySchema)) query: ReadingsQuery,
  ): Promise<ReadingsView> {
    return this.readingsOf.readings(principal, id, query);
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
