import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { DeviceProfile, effectiveProfile, microsToIso, ProfileOverrides, profileProblems } from '@fireiot/events';
import {
  DeviceDetail,
  DeviceKind,
  DeviceLinkState,
  DevicePatrol,
  DevicePower,
  IdentityError,
  Principal,
  UnitRepository,
} from '@fireiot/identity';
import { generateSecret, hashSecret } from '@fireiot/secrets';
import { canSeeUnit, unitScope } from '../auth/tenant.scope';
import { isUuid } from '../http/uuid.util';
import { UnitsService } from '../units/units.service';
import { CreateDeviceBody, ProfileBody } from './devices.schema';

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
  readonly description: string | null;
  /** The profile in force (CQC/SC 11002 4.4.2) and which of its values are the device's own. */
  readonly profile: DeviceProfile & { readonly overrides: ProfileOverrides };
  /** Shorthand of `profile.patrolPeriodS` (contract: "patrol period"). */
  readonly patrolPeriodS: number;
  readonly communication: CommunicationView;
  /** The last patrol (GB/T 26875.3 type 81) at its latest status; null before the first. */
  readonly lastPatrol: PatrolView | null;
  /** Shields in force on the device or its parts (4.4.4). */
  readonly activeShields: number;
}

/**
 * Communication state (4.4.2): `lost` (the watchdog raised a communication loss, not restored
 * since), `online` (heard within the silence threshold), `silent` (not heard for longer: a loss
 * is being raised, or the platform restarted and gives the device its grace), `never-seen`.
 */
export interface CommunicationView {
  readonly state: 'online' | 'silent' | 'lost' | 'never-seen';
  readonly lastSeenAt: string | null;
  /** The last link event: when the link was lost or restored, and why. */
  readonly since: string | null;
  readonly cause: DeviceLinkState['cause'] | null;
}

export interface PatrolView {
  readonly patrolId: string;
  readonly status: DevicePatrol['status'];
  readonly at: string;
  readonly sentAt: string | null;
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

function view(device: DeviceDetail, nowMs: number): DeviceView {
  const profile = effectiveProfile(device.kind, device.power, device.profile);
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
    description: device.description,
    profile: { ...profile, overrides: device.profile },
    patrolPeriodS: profile.patrolPeriodS,
    communication: communication(device, profile, nowMs),
    lastPatrol: device.lastPatrol
      ? {
          patrolId: device.lastPatrol.patrolId,
          status: device.lastPatrol.status,
          at: device.lastPatrol.at.toISOString(),
          sentAt: device.lastPatrol.sentAt?.toISOString() ?? null,
        }
      : null,
    activeShields: device.activeShields,
  };
}

function communication(device: DeviceDetail, profile: DeviceProfile, nowMs: number): CommunicationView {
  const lastSeenAt = device.lastSeenAt?.toISOString() ?? null;
  const since = device.link?.at.toISOString() ?? null;
  const cause = device.link?.cause ?? null;
  if (device.link?.event === 'lost') return { state: 'lost', lastSeenAt, since, cause };
  if (device.lastSeenAt === null) return { state: 'never-seen', lastSeenAt, since, cause };
  const silent = nowMs - device.lastSeenAt.getTime() > profile.silenceThresholdS * 1000;
  return { state: silent ? 'silent' : 'online', lastSeenAt, since, cause };
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
    // Absent where the API runs without a bus (its own specs): the watchdog then learns of
    // changes from the registry when the device next shows life.
    @Optional() @Inject(EVENT_BUS) private readonly bus: EventBus | null = null,
  ) {}

  /** Registers a device; a collector gets a generated MQTT password, returned once, stored as its scrypt hash. */
  async create(body: CreateDeviceBody): Promise<CreatedDevice> {
    await this.unitsService.requireUnit(body.unitId);
    requireConformingProfile(body.kind, body.power, body.profile ?? {});
    const deviceKey = deviceKeyOf(body.kind, body.address);
    const mqttPassword = body.kind === 'collector' ? generateSecret(24) : null;
    const id = await this.units.createDevice({
      unitId: body.unitId,
      deviceKey,
      kind: body.kind,
      power: body.power,
      mqttSecret: mqttPassword === null ? null : await hashSecret(mqttPassword),
      profile: body.profile ?? {},
      description: body.description ?? null,
    });
    this.logger.log({ msg: 'device provisioned', deviceId: id, deviceKey, unitId: body.unitId });
    await this.changed(id, deviceKey);
    return mqttPassword === null ? { id, deviceKey } : { id, deviceKey, mqttUsername: body.address, mqttPassword };
  }

  async list(principal: Principal): Promise<DeviceView[]> {
    const now = Date.now();
    return (await this.units.listDevices(unitScope(principal))).map((d) => view(d, now));
  }

  /** One device; "not found" for a unit user asking for another unit's. */
  async get(principal: Principal, id: string): Promise<DeviceView> {
    const device = isUuid(id) ? await this.units.findDevice(id) : null;
    if (!device || !canSeeUnit(principal, device.unitId))
      throw new IdentityError('device-not-found', `no device ${id}`);
    return view(device, Date.now());
  }

  /** Replaces the device's profile overrides; refused (400) if the result breaks 4.4.2. */
  async setProfile(principal: Principal, id: string, body: ProfileBody): Promise<DeviceView> {
    const device = await this.get(principal, id);
    requireConformingProfile(device.kind, device.power, body);
    const overrides: ProfileOverrides = {
      heartbeatS: body.heartbeatS ?? null,
      silenceThresholdS: body.silenceThresholdS ?? null,
      patrolPeriodS: body.patrolPeriodS ?? null,
    };
    if (!(await this.units.updateProfile(device.id, overrides))) {
      throw new IdentityError('device-not-found', `no device ${id}`);
    }
    this.logger.log({ msg: 'device profile set', deviceId: device.id, deviceKey: device.deviceKey, ...overrides });
    await this.changed(device.id, device.deviceKey);
    return this.get(principal, id);
  }

  /** Tells the watchdog and the gateways to re-read the device (best effort: they re-read anyway). */
  private async changed(deviceId: string, deviceKey: string): Promise<void> {
    try {
      await this.bus?.publish('fireiot.devices.changed.v1', deviceKey, {
        deviceId,
        deviceKey,
        at: microsToIso(BigInt(Date.now()) * 1000n),
      });
    } catch (error) {
      this.logger.warn({ msg: 'device change not published', deviceKey, error: String(error) });
    }
  }
}

/** CQC/SC 11002 4.4.2: a profile that cannot keep the patrol periods or the 100 s bound is refused. */
function requireConformingProfile(kind: DeviceKind, power: DevicePower, overrides: ProfileOverrides): void {
  const problems = profileProblems(kind, power, effectiveProfile(kind, power, overrides));
  if (problems.length > 0) throw new IdentityError('invalid-input', problems.join('; '));
}
