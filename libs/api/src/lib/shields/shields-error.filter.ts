import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { apiErrorBody, ApiResponse } from '../http/http.model';
import { ShieldsError } from './shields.error';

/** `ShieldsError` → its status and `{ error: { code, message } }`. */
@Catch(ShieldsError)
export class ShieldsErrorFilter implements ExceptionFilter<ShieldsError> {
  catch(error: ShieldsError, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<ApiResponse>().status(error.status).json(apiErrorBody(error.code, error.message));
  }
}
