import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AuthService, UserRepository } from '@fireiot/identity';
import { UnitsService } from './units/units.service';

/** Units named one by one in the start-up log; the rest are counted. */
const LISTED_UNITS = 20;

/**
 * At start: the FIREIOT_BOOTSTRAP_ADMIN operator (contract, "Configuration"), expired sessions
 * removed, then a warning per unit that cannot be reached over two working channels (CQC/SC
 * 11002 4.3.3).
 */
@Injectable()
export class ApiStartup implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiStartup.name);

  constructor(
    private readonly auth: AuthService,
    private readonly users: UserRepository,
    private readonly units: UnitsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const bootstrap = await this.auth.ensureBootstrapAdmin();
    const expiredSessions = await this.auth.purgeExpiredSessions();
    this.logger.log({ msg: 'accounts ready', bootstrapAdmin: bootstrap, expiredSessions });
    if (bootstrap === 'not-configured' && !(await this.users.operatorExists())) {
      // Nobody can log in yet: say how to get the first account (contract, FIREIOT_BOOTSTRAP_ADMIN).
      this.logger.warn({
        msg: 'no operator account yet: restart with FIREIOT_BOOTSTRAP_ADMIN=user:password to create the first one',
      });
    }
    const nonConforming = await this.units.nonConforming();
    for (const unit of nonConforming.slice(0, LISTED_UNITS)) {
      this.logger.warn({
        msg: 'unit not reachable over two working channels (CQC/SC 11002 4.3.3)',
        unitId: unit.id,
        unit: unit.name,
        channels: unit.conformity.channels,
        reason: unit.conformity.reason,
      });
    }
    if (nonConforming.length > LISTED_UNITS) {
      this.logger.warn({
        msg: 'more units not reachable over two working channels (GET /api/units)',
        count: nonConforming.length - LISTED_UNITS,
      });
    }
  }
}
