import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { apiErrorBody, ApiResponse } from '../http/http.model';
import { MaintenanceError } from './maintenance.error';

/** `MaintenanceError` → its status and `{ error: { code, message } }`. */
@Catch(MaintenanceError)
export class MaintenanceErrorFilter implements ExceptionFilter<MaintenanceError> {
  catch(error: MaintenanceError, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<ApiResponse>().status(error.status).json(apiErrorBody(error.code, error.message));
  }
}
