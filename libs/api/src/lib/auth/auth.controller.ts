import { Body, Controller, Get, Headers, HttpCode, Ip, Post, UseFilters, UseGuards } from '@nestjs/common';
import { AuthService, Principal, Role } from '@fireiot/identity';
import { IdentityErrorFilter } from '../http/identity-error.filter';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { LoginBody, loginSchema } from './auth.schema';
import { BearerAuthGuard, bearerTokenOf } from './bearer-auth.guard';
import { CurrentPrincipal } from './current-principal.decorator';
import { MeService, MeView } from './me.service';

export interface LoginResponse {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresAt: string;
  readonly role: Role;
  readonly unitId: string | null;
}

/**
 * Contract, "HTTP API": `POST /api/auth/login` `{ username, password }` → `{ accessToken }` (and
 * more); `GET /api/auth/me`; `POST /api/auth/logout`.
 */
@Controller('api/auth')
@UseFilters(IdentityErrorFilter)
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly account: MeService,
  ) {}

  @Post('login')
  @HttpCode(200)
  async login(@Body(new ZodValidationPipe(loginSchema)) body: LoginBody, @Ip() ip: string): Promise<LoginResponse> {
    const { accessToken, expiresAt, principal } = await this.auth.login(body.username, body.password, ip);
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresAt: expiresAt.toISOString(),
      role: principal.role,
      unitId: principal.unitId,
    };
  }

  /** Any authenticated role: the account, its unit's name and the centre's time zone. */
  @Get('me')
  @UseGuards(BearerAuthGuard)
  me(@CurrentPrincipal() principal: Principal): Promise<MeView> {
    return this.account.me(principal);
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  async logout(@Headers('authorization') authorization: string | undefined): Promise<void> {
    await this.auth.logout(bearerTokenOf(authorization) ?? '');
  }
}
