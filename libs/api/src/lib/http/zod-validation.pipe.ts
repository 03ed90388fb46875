import { BadRequestException, PipeTransform } from '@nestjs/common';
import { describeZodIssues } from '@fireiot/events';
import { z } from 'zod';
import { apiErrorBody } from './http.model';

/**
 * Validates (and normalises) a request body with a zod schema; anything else is a 400
 * `{ error: { code: "invalid-input", message } }` naming the fields and what is wrong with them.
 */
export class ZodValidationPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: z.ZodType<T>) {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw new BadRequestException(apiErrorBody('invalid-input', describeZodIssues(result.error)));
    }
    return result.data;
  }
}
