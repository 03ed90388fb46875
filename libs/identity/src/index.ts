export * from './lib/auth.service';
export * from './lib/identity.error';
export * from './lib/identity.module';
export * from './lib/identity.tokens';
export * from './lib/principal';
export * from './lib/session.repository';
export * from './lib/unit.repository';
export * from './lib/user.repository';
