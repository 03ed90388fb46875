import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { AlertsError } from './alerts.error';

/** `AlertsError` → its status and `{ error: { code, message } }`. */
@Catch(AlertsError)
export class AlertsErrorFilter implements ExceptionFilter {
  catch(error: AlertsError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(error.status)
      .json({ error: { code: error.code, message: error.message } });
  }
}
