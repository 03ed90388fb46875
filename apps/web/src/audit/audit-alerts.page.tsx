import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { formatDuration } from '../format/time.format';
import { AlertDetailView } from '../shared/alert-detail.view';
import { useAlertSearch } from '../shared/alert-filters.view';
import { useAlert, useAlerts } from '../shared/queries';
import { ErrorNote, KindBadge, Loading, Time } from '../shared/ui';

/**
 * The auditor's read-only view: every alert with its receive time, first hand-over, latency and
 * whether its clause's deadline was met; the detail has each channel's timestamps (Annex B).
 */
export function AuditAlertsPage() {
  const { t } = useTranslation();
  const { query, fields } = useAlertSearch(1000);
  const alerts = useAlerts(query, 'search');
  return (
    <div className="audit">
      <p className="muted">{t('audit.readOnly')}</p>
      <div className="filters">{fields}</div>
      <ErrorNote error={alerts.error} />
      {alerts.isPending && <Loading />}
      <div className="table-wrap">
        <table data-testid="audit-table">
          <thead>
            <tr>
              <th>{t('alert.receivedAt')}</th>
              <th>{t('board.filterKind')}</th>
              <th>{t('alert.clause')}</th>
              <th>{t('alert.device')}</th>
              <th>{t('alert.firstSentAt')}</th>
              <th>{t('audit.firstSent')}</th>
              <th>{t('audit.deadlineMet')}</th>
              <th>{t('alert.status')}</th>
            </tr>
          </thead>
          <tbody>
            {(alerts.data ?? []).map((a) => (
              <tr key={a.id} data-testid="alert-row" data-alert-id={a.id}>
                <td>
                  <Link to={`/audit/alerts/${a.id}`}>
                    <Time iso={a.receivedAt} />
                  </Link>
                </td>
                <td>
                  <KindBadge kind={a.kind} />
                </td>
                <td>
                  {a.clause}
                  {a.item ? ` ${a.item})` : ''}
                </td>
                <td>{a.deviceKey}</td>
                <td>
                  <Time iso={a.firstSentAt} />
                </td>
                <td>{formatDuration(a.firstSentElapsedMs)}</td>
                <td>
                  {a.deadlineMet === null ? (
                    '—'
                  ) : a.deadlineMet ? (
                    <span className="ok">✓</span>
                  ) : (
                    <span className="bad">✗</span>
                  )}
                </td>
                <td>{a.suppressed ?? t(`state.${a.state}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function AuditAlertPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const alert = useAlert(id);
  return (
    <div>
      <Link to="/audit" className="back">
        ← {t('app.back')}
      </Link>
      {alert.isPending ? (
        <Loading />
      ) : alert.data ? (
        <AlertDetailView alert={alert.data} />
      ) : (
        <p className="error" data-testid="alert-not-found">
          {t('alert.notFound')}
        </p>
      )}
    </div>
  );
}
