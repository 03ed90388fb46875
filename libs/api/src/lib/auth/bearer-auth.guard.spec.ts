import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { Principal } from '@fireiot/identity';
import { TestDatabase } from '@fireiot/storage/testing';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { BearerAuthGuard, bearerTokenOf } from './bearer-auth.guard';
import { CurrentPrincipal } from './current-principal.decorator';
import { Roles } from './roles.decorator';
import { unitScope } from './tenant.scope';

// Another feature's controller in its own module, as the alerts API uses the guard: the module
// imports nothing; ApiModule, imported once by the app, makes AuthService available globally.
@Controller('api/probe')
@UseGuards(BearerAuthGuard)
class ProbeController {
  @Get('anyone')
  anyone(@CurrentPrincipal() principal: Principal): { username: string; scope: string | null } {
    return { username: principal.username, scope: unitScope(principal) };
  }

  @Get('staff')
  @Roles('operator', 'auditor')
  staff(@CurrentPrincipal() principal: Principal): { role: string } {
    return { role: principal.role };
  }
}

// @Roles alone (no @UseGuards) still authenticates.
@Controller('api/probe-roles-only')
class RolesOnlyController {
  @Get()
  @Roles('operator')
  get(@CurrentPrincipal() principal: Principal): { userId: string } {
    return { userId: principal.userId };
  }
}

@Module({ controllers: [ProbeController, RolesOnlyController] })
class ProbeModule {}

describe(BearerAuthGuard.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let admin: string;
  let unitUser: string;
  let unitId: string;

  beforeAll(async () => {
    db = await testDatabase();
    api = await startApiApp(db, {}, [ProbeModule]);
    admin = await api.login(ADMIN.username, ADMIN.password);
    unitId = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Probe unit' } }));
    createdId(
      await api.call('POST', `/api/units/${unitId}/users`, {
        token: admin,
        body: { username: 'probe-unit', password: 'password-1' },
      }),
    );
    unitUser = await api.login('probe-unit', 'password-1');
  });
  afterAll(async () => {
    await api.close();
    await db.stop();
  });

  it("guards other modules' controllers and hands them the principal and its tenant scope", async () => {
    const asAdmin = await api.call('GET', '/api/probe/anyone', { token: admin });
    expect(asAdmin).toMatchObject({ status: 200, body: { username: 'admin', scope: null } });
    const asUnit = await api.call('GET', '/api/probe/anyone', { token: unitUser });
    expect(asUnit).toMatchObject({ status: 200, body: { username: 'probe-unit', scope: unitId } });
    const anonymous = await api.call('GET', '/api/probe/anyone');
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: 'token-missing' } } });
  });

  it('enforces @Roles with 403 and the roles it needs', async () => {
    expect(await api.call('GET', '/api/probe/staff', { token: admin })).toMatchObject({
      status: 200,
      body: { role: 'operator' },
    });
    const refused = await api.call('GET', '/api/probe/staff', { token: unitUser });
    expect(refused).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', message: expect.stringContaining('operator or auditor') } },
    });
  });

  it('authenticates routes that carry only @Roles', async () => {
    expect((await api.call('GET', '/api/probe-roles-only')).status).toBe(401);
    expect((await api.call('GET', '/api/probe-roles-only', { token: unitUser })).status).toBe(403);
    expect((await api.call('GET', '/api/probe-roles-only', { token: admin })).status).toBe(200);
  });

  it('reads only well-formed Bearer headers', () => {
    expect(bearerTokenOf('Bearer abc')).toBe('abc');
    expect(bearerTokenOf('bearer abc')).toBe('abc');
    expect(bearerTokenOf('Bearer  abc ')).toBe('abc');
    expect(bearerTokenOf('Bearer')).toBeNull();
    expect(bearerTokenOf('Bearer a b')).toBeNull();
    expect(bearerTokenOf('Basic abc')).toBeNull();
    expect(bearerTokenOf(['Bearer abc'])).toBeNull();
    expect(bearerTokenOf(undefined)).toBeNull();
  });
});
