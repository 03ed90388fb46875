import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { microsToIso } from '@fireiot/events';
import { ShieldRecord, ShieldRepository } from '@fireiot/evidence';
import { IdentityError, Principal, UnitRepository } from '@fireiot/identity';
import { canSeeUnit, unitScope } from '../auth/tenant.scope';
import { isUuid } from '../http/uuid.util';
import { LiftBody, ShieldBody, ShieldQuery } from './shields.schema';
import { ShieldsError } from './shields.error';

function nowIso(): string {
  return microsToIso(BigInt(Date.now()) * 1000n);
}

/**
 * Shielding (CQC/SC 11002 4.4.4): a faulty device, or a part of it, that cannot be repaired at
 * once is shielded with a reason, by a named operator, until an expiry; its data is still stored
 * and classified, its alerts are recorded as `shielded` and not sent. Setting and lifting are
 * appended to `shield_events` (the audit log) and published so every process applies them.
 */
@Injectable()
export class ShieldsService {
  private readonly logger = new Logger(ShieldsService.name);

  constructor(
    private readonly shields: ShieldRepository,
    private readonly units: UnitRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  async shield(who: Principal, deviceId: string, body: ShieldBody): Promise<ShieldRecord> {
    const device = isUuid(deviceId) ? await this.units.findDevice(deviceId) : null;
    if (!device) throw new IdentityError('device-not-found', `no device ${deviceId}`);
    const at = nowIso();
    const expiresAt = microsToIso(BigInt(Date.parse(body.expiresAt)) * 1000n);
    const shieldId = await this.shields.shield({
      deviceId: device.id,
      deviceKey: device.deviceKey,
      subject: body.subject ?? null,
      reason: body.reason,
      actor: who.userId,
      at,
      expiresAt,
    });
    await this.bus.publish('fireiot.shields.v1', device.deviceKey, {
      shieldId,
      event: 'shielded',
      deviceId: device.id,
      deviceKey: device.deviceKey,
      subject: body.subject ?? null,
      at,
      expiresAt,
    });
    this.logger.log({
      msg: 'device shielded',
      shieldId,
      deviceKey: device.deviceKey,
      subject: body.subject ?? null,
      actor: who.userId,
      reason: body.reason,
      expiresAt,
    });
    return this.require(shieldId);
  }

  async lift(who: Principal, shieldId: string, body: LiftBody): Promise<ShieldRecord> {
    const shield = await this.find(who, shieldId);
    if (shield.lifted) throw new ShieldsError('already-lifted', `shield ${shieldId} was lifted at ${shield.lifted.at}`);
    const at = nowIso();
    if (!(await this.shields.lift(shieldId, body.reason, who.userId, at))) {
      throw new ShieldsError('already-lifted', `shield ${shieldId} was lifted already`);
    }
    await this.bus.publish('fireiot.shields.v1', shield.deviceKey, {
      shieldId,
      event: 'lifted',
      deviceId: shield.deviceId,
      deviceKey: shield.deviceKey,
      subject: shield.subject,
      at,
      expiresAt: null,
    });
    this.logger.log({
      msg: 'shield lifted',
      shieldId,
      deviceKey: shield.deviceKey,
      actor: who.userId,
      reason: body.reason,
    });
    return this.require(shieldId);
  }

  /** One shield; "not found" for a unit user asking for another unit's. */
  async find(who: Principal, shieldId: string): Promise<ShieldRecord> {
    const shield = isUuid(shieldId) ? await this.shields.find(shieldId) : null;
    if (!shield || !canSeeUnit(who, shield.unitId)) throw new ShieldsError('not-found', `no shield ${shieldId}`);
    return shield;
  }

  async list(who: Principal, query: ShieldQuery): Promise<ShieldRecord[]> {
    const scope = unitScope(who);
    if (scope !== null && query.unitId !== undefined && query.unitId !== scope) return [];
    return this.shields.list({
      deviceId: query.deviceId,
      unitId: scope ?? query.unitId,
      activeOnly: query.active === 'true',
      limit: query.limit,
    });
  }

  private async require(shieldId: string): Promise<ShieldRecord> {
    const shield = await this.shields.find(shieldId);
    if (!shield) throw new ShieldsError('not-found', `no shield ${shieldId}`);
    return shield;
  }
}
