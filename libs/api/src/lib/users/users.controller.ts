import { Body, Controller, Post, UseFilters } from '@nestjs/common';
import { AuthService } from '@fireiot/identity';
import { Roles } from '../auth/roles.decorator';
import { IdentityErrorFilter } from '../http/identity-error.filter';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { CreateStaffUserBody, createStaffUserSchema } from './users.schema';

/** `POST /api/users` (operator): operator and auditor accounts. */
@Controller('api/users')
@UseFilters(IdentityErrorFilter)
export class UsersController {
  constructor(private readonly auth: AuthService) {}

  @Post()
  @Roles('operator')
  async create(@Body(new ZodValidationPipe(createStaffUserSchema)) body: CreateStaffUserBody): Promise<{ id: string }> {
    return { id: await this.auth.createUser({ ...body, unitId: null }) };
  }
}
