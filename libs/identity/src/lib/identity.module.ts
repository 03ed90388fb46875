import { DynamicModule, InjectionToken, Module } from '@nestjs/common';
import { AuthService } from './auth.service';
import { IDENTITY_POOL } from './identity.tokens';
import { SessionRepository } from './session.repository';
import { UnitRepository } from './unit.repository';
import { UserRepository } from './user.repository';

export interface IdentityModuleOptions {
  /** The token of the application's `pg` Pool (`APP_POOL` of `@fireiot/storage`). */
  readonly poolToken: InjectionToken;
}

/**
 * Accounts, sessions and provisioning records. Global, so any module's controllers can use the
 * API's `BearerAuthGuard` (which needs `AuthService`) and a socket.io gateway can inject
 * `AuthService` to verify tokens. Needs `FIREIOT_CONFIG` and the pool token provided globally.
 */
@Module({})
export class IdentityModule {
  static forRoot(options: IdentityModuleOptions): DynamicModule {
    return {
      module: IdentityModule,
      global: true,
      providers: [
        { provide: IDENTITY_POOL, useExisting: options.poolToken },
        UserRepository,
        SessionRepository,
        UnitRepository,
        AuthService,
      ],
      exports: [AuthService, UserRepository, SessionRepository, UnitRepository],
    };
  }
}
