import { Injectable, Logger } from '@nestjs/common';
import { DeviceDetail, DeviceKind, DevicePower, IdentityError, Principal, UnitRepository } from '@fireiot/identity';
import { generateSecret, hashSecret } from '@fireiot/secrets';
import { canSeeUnit, unitScope } from '../auth/tenant.scope';
import { isUuid } from '../http/uuid.util';
import { UnitsService } from '../units/units.service';
import { CreateDeviceBody } from './devices.schema';

export interface CreatedDevice {
  readonly id: string;
  readonly deviceKey: string;
  /** Collectors: their MQTT username (the device id) and password, shown this once. */
  readonly mqttUsername?: string;
  readonly mqttPassword?: string;
}

export interface DeviceView {
  readonly id: string;
  readonly kind: DeviceKind;
  /** Decimal GB/T 26875.3 address (UITD) or MQTT device id (collector). */
  readonly address: string;
  /** `uitd:<address>` / `mqtt:<device id>`: the key of the raw tables and alerts. */
  readonly deviceKey: string;
  readonly power: DevicePower;
  readonly unitId: string | null;
  readonly unit: { readonly id: string; readonly name: string } | null;
  readonly createdAt: string;
  /** Last frame, message or heartbeat received (`device_presence`); null if never seen. */
  readonly lastSeenAt: string | null;
  readonly mqttCredentials: boolean;
}

/** The gateway's device keys (libs/gateway: `uitd:<source address>`, `mqtt:<device id>`). */
export function deviceKeyOf(kind: DeviceKind, address: string): string {
  switch (kind) {
    case 'uitd':
      return `uitd:${address}`;
    case 'collector':
      return `mqtt:${address}`;
  }
}

function view(device: DeviceDetail): DeviceView {
  return {
    id: device.id,
    kind: device.kind,
    address: device.deviceKey.slice(device.deviceKey.indexOf(':') + 1),
    deviceKey: device.deviceKey,
    power: device.power,
    unitId: device.unitId,
    unit: device.unitId !== null && device.unitName !== null ? { id: device.unitId, name: device.unitName } : null,
    createdAt: device.createdAt.toISOString(),
    lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
    mqttCredentials: device.hasMqttSecret,
  };
}

/**
 * Device provisioning (CQC/SC 11002 4.1.1: data is attributed to identified devices only) and the
 * registry as each caller may see it.
 */
@Injectable()
export class DevicesService {
  private readonly logger = new Logger(DevicesService.name);

  constructor(
    private readonly units: UnitRepository,
    private readonly unitsService: UnitsService,
  ) {}

  /** Registers a device; a collector gets a generated MQTT password, returned once, stored as its scrypt hash. */
  async create(body: CreateDeviceBody): Promise<CreatedDevice> {
    await this.unitsService.requireUnit(body.unitId);
    const deviceKey = deviceKeyOf(body.kind, body.address);
    const mqttPassword = body.kind === 'collector' ? generateSecret(24) : null;
    const id = await this.units.createDevice({
      unitId: body.unitId,
      deviceKey,
      kind: body.kind,
      power: body.power,
      mqttSecret: mqttPassword === null ? null : await hashSecret(mqttPassword),
    });
    this.logger.log({ msg: 'device provisioned', deviceId: id, deviceKey, unitId: body.unitId });
    return mqttPassword === null ? { id, deviceKey } : { id, deviceKey, mqttUsername: body.address, mqttPassword };
  }

  async list(principal: Principal): Promise<DeviceView[]> {
    return (await this.units.listDevices(unitScope(principal))).map(view);
  }

  /** One device; "not found" for a unit user asking for another unit's. */
  async get(principal: Principal, id: string): Promise<DeviceView> {
    const device = isUuid(id) ? await this.units.findDevice(id) : null;
    if (!device || !canSeeUnit(principal, device.unitId))
      throw new IdentityError('device-not-found', `no device ${id}`);
    return view(device);
  }
}
