import { Inject, Injectable } from '@nestjs/common';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { Principal, UnitRepository } from '@fireiot/identity';

/** `GET /api/auth/me`: who the token belongs to, and how the console and apps show times. */
export interface MeView {
  readonly userId: string;
  readonly username: string;
  readonly role: Principal['role'];
  readonly unitId: string | null;
  /** A unit user's unit name (4.2: the unit app shows whose data it is); null for staff. */
  readonly unitName: string | null;
  /** IANA zone the monitoring centre works in (FIREIOT_TIME_ZONE); API times stay UTC. */
  readonly timeZone: string;
}

/** The caller's account as the web console and the unit app start with it (CQC/SC 11002 4.2). */
@Injectable()
export class MeService {
  constructor(
    private readonly units: UnitRepository,
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
  ) {}

  async me(who: Principal): Promise<MeView> {
    const unit = who.unitId === null ? null : await this.units.findUnit(who.unitId);
    return {
      userId: who.userId,
      username: who.username,
      role: who.role,
      unitId: who.unitId,
      unitName: unit?.name ?? null,
      timeZone: this.config.timeZone,
    };
  }
}
