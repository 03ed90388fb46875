import { BadRequestException, PipeTransform } from '@nestjs/common';
import { describeZodIssues } from '@fireiot/events';
import { z } from 'zod';
import { apiErrorBody } from './http.model';

/**
 * Validates (and normalises) a request body with a zod schema; anything else is a 400
 * `{ error: { code: "invalid-input", message } }` naming the fields and what is wrong with them,
 * or the module's own error when `invalid` makes one (its exception filter answers it).
 */
export class ZodValidationPipe<T> implements PipeTransform<unknown, T> {
  constructor(
    private readonly schema: z.ZodType<T>,
    private readonly invalid?: (reason: string) => Error,
  ) {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      const reason = describeZodIssues(result.error);
      throw this.invalid?.(reason) ?? new BadRequestException(apiErrorBody('invalid-input', reason));
    }
    return result.data;
  }
}
