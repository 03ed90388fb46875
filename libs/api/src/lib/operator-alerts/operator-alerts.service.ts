import { Injectable } from '@nestjs/common';
import { OperatorAlert } from '@fireiot/events';
import { OperatorAlertRepository } from '@fireiot/storage';
import { OperatorAlertQuery } from './operator-alerts.schema';

/** The monitoring centre's own alerts (CQC/SC 11002 4.4.1, 4.4.3, 4.4.4), newest first. */
@Injectable()
export class OperatorAlertsService {
  constructor(private readonly repository: OperatorAlertRepository) {}

  list(query: OperatorAlertQuery): Promise<OperatorAlert[]> {
    return this.repository.list({ since: query.since ?? null, limit: query.limit });
  }
}
