import { Body, Controller, Get, Headers, HttpCode, Post, UseFilters, UseGuards } from '@nestjs/common';
import { AuthService, Principal, Role } from '@fireiot/identity';
import { IdentityErrorFilter } from '../http/identity-error.filter';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { LoginBody, loginSchema } from './auth.schema';
import { BearerAuthGuard, bearerTokenOf } from './bearer-auth.guard';
import { CurrentPrincipal } from './current-principal.decorator';

export interface LoginResponse {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresAt: string;
  readonly role: Role;
  readonly unitId: string | null;
}

/** Contract, "HTTP API": `POST /api/auth/login` `{ username, password }` → `{ accessToken }` (and more). */
@Controller('api/auth')
@UseFilters(IdentityErrorFilter)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  async login(@Body(new ZodValidationPipe(loginSchema)) body: LoginBody): Promise<LoginResponse> {
    const { accessToken, expiresAt, principal } = await this.auth.login(body.username, body.password);
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresAt: expiresAt.toISOString(),
      role: principal.role,
      unitId: principal.unitId,
    };
  }

  @Get('me')
  @UseGuards(BearerAuthGuard)
  me(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  async logout(@Headers('authorization') authorization: string | undefined): Promise<void> {
    await this.auth.logout(bearerTokenOf(authorization) ?? '');
  }
}
