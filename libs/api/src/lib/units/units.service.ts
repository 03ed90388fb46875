import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AlertKind } from '@fireiot/alerting';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import {
  AuthService,
  ContactChannel,
  ContactRecord,
  FaultPolicy,
  IdentityError,
  Principal,
  UnitRecord,
  UnitRepository,
} from '@fireiot/identity';
import { canSeeUnit, unitScope } from '../auth/tenant.scope';
import { isUuid } from '../http/uuid.util';
import { CreateUnitUserBody } from '../users/users.schema';
import { assessChannelConformity, ChannelConformity } from './channel.conformity';
import { CreateContactBody, CreateUnitBody } from './units.schema';

export interface ContactView {
  readonly id: string;
  readonly name: string;
  readonly phone: string;
  readonly channels: readonly ContactChannel[];
  readonly escalationOrder: number;
}

export interface UnitView {
  readonly id: string;
  readonly name: string;
  readonly monitoringScope: readonly AlertKind[];
  readonly faultPolicy: FaultPolicy;
  /** Null: the platform default. */
  readonly escalateAfterS: number | null;
  readonly createdAt: string;
  /** Unit users: each one has the app channel. */
  readonly userCount: number;
  readonly contacts: readonly ContactView[];
  /** CQC/SC 11002 4.3.3. */
  readonly conformity: ChannelConformity;
}

/** Provisioning of networked units, their users and contacts; units as each caller may see them. */
@Injectable()
export class UnitsService {
  private readonly logger = new Logger(UnitsService.name);

  constructor(
    private readonly units: UnitRepository,
    private readonly auth: AuthService,
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
  ) {}

  async createUnit(body: CreateUnitBody): Promise<{ id: string }> {
    const id = await this.units.createUnit(body);
    this.logger.log({ msg: 'unit created', unitId: id });
    return { id };
  }

  async createUnitUser(unitId: string, body: CreateUnitUserBody): Promise<{ id: string }> {
    await this.requireUnit(unitId);
    return { id: await this.auth.createUser({ ...body, role: 'unit', unitId }) };
  }

  async createContact(unitId: string, body: CreateContactBody): Promise<{ id: string }> {
    await this.requireUnit(unitId);
    const id = await this.units.createContact({ unitId, ...body });
    this.logger.log({ msg: 'contact created', unitId, contactId: id, channels: body.channels });
    return { id };
  }

  /** Every unit for operators and auditors; their own for unit users. */
  async list(principal: Principal): Promise<UnitView[]> {
    return this.views(await this.units.listUnits(unitScope(principal)));
  }

  /** One unit; "not found" for a unit user asking for another unit. */
  async get(principal: Principal, id: string): Promise<UnitView> {
    const unitId = id.toLowerCase();
    const unit = isUuid(unitId) && canSeeUnit(principal, unitId) ? await this.units.findUnit(unitId) : null;
    if (!unit) throw new IdentityError('unit-not-found', `no unit ${id}`);
    const [view] = await this.views([unit]);
    if (!view) throw new Error('a view per unit');
    return view;
  }

  /** Units that cannot be reached over two working channels (CQC/SC 11002 4.3.3). */
  async nonConforming(): Promise<UnitView[]> {
    return (await this.views(await this.units.listUnits(null))).filter((u) => !u.conformity.conforming);
  }

  /** The unit, or `unit-not-found` (also for ids that cannot be one). */
  async requireUnit(id: string): Promise<UnitRecord> {
    const unit = isUuid(id) ? await this.units.findUnit(id) : null;
    if (!unit) throw new IdentityError('unit-not-found', `no unit ${id}`);
    return unit;
  }

  private async views(units: readonly UnitRecord[]): Promise<UnitView[]> {
    const contacts = await this.units.listContacts(units.map((u) => u.id));
    const byUnit = new Map<string, ContactRecord[]>();
    for (const contact of contacts) byUnit.set(contact.unitId, [...(byUnit.get(contact.unitId) ?? []), contact]);
    const providerConfigured = this.config.twilio.credentials !== null;
    return units.map((unit) => {
      const own = byUnit.get(unit.id) ?? [];
      return {
        id: unit.id,
        name: unit.name,
        monitoringScope: unit.monitoringScope,
        faultPolicy: unit.faultPolicy,
        escalateAfterS: unit.escalateAfterS,
        createdAt: unit.createdAt.toISOString(),
        userCount: unit.userCount,
        contacts: own.map((c) => ({
          id: c.id,
          name: c.name,
          phone: c.phone,
          channels: c.channels,
          escalationOrder: c.escalationOrder,
        })),
        conformity: assessChannelConformity({ userCount: unit.userCount, contacts: own, providerConfigured }),
      };
    });
  }
}
