import { Controller, Get, Query } from '@nestjs/common';
import { OperatorAlert } from '@fireiot/events';
import { Roles } from '../auth/roles.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { OperatorAlertQuery, operatorAlertQuerySchema } from './operator-alerts.schema';
import { OperatorAlertsService } from './operator-alerts.service';

/**
 * `GET /api/operator-alerts?since=&limit=` (operators, auditors): alerts for the monitoring
 * centre — storage headroom under a year (4.4.3), abnormal access (4.4.1), maintenance overdue
 * (4.4.4) — newest first. Unit users get 403: these are not about a unit.
 */
@Controller('api/operator-alerts')
@Roles('operator', 'auditor')
export class OperatorAlertsController {
  constructor(private readonly alerts: OperatorAlertsService) {}

  @Get()
  async list(
    @Query(new ZodValidationPipe(operatorAlertQuerySchema)) query: OperatorAlertQuery,
  ): Promise<{ alerts: OperatorAlert[] }> {
    return { alerts: await this.alerts.list(query) };
  }
}
