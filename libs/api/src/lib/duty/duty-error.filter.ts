import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { apiErrorBody, ApiResponse } from '../http/http.model';
import { DutyError } from './duty.error';

/** `DutyError` → its status and `{ error: { code, message } }`. */
@Catch(DutyError)
export class DutyErrorFilter implements ExceptionFilter<DutyError> {
  catch(error: DutyError, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<ApiResponse>().status(error.status).json(apiErrorBody(error.code, error.message));
  }
}
