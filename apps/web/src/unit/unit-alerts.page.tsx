import { memo, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { AlertSummary } from '../api/api.model';
import { formatDuration } from '../format/time.format';
import { useLive, useSiren } from '../live/live.context';
import { mergeAlerts, needsConfirmation, unitOrder } from '../shared/alert.order';
import { ConfirmButton } from '../shared/confirm.button';
import { useOpenAndLatestAlerts } from '../shared/queries';
import { ErrorNote, KindBadge, Loading, Time } from '../shared/ui';

/**
 * The unit's app (CQC/SC 11002 4.2): alerts arrive live over socket.io (acknowledged, so the
 * platform records the delivery), unconfirmed ones on top with a confirm button (4.2 c); an
 * unconfirmed fire alarm sounds and vibrates until confirmed.
 */
export function UnitAlertsPage() {
  const { t } = useTranslation();
  const live = useLive();
  const alerts = useOpenAndLatestAlerts(200);
  const all = useMemo(
    () => mergeAlerts(alerts.data ?? [], live.pushed, unitOrder).filter((a) => a.suppressed === null),
    [alerts.data, live.pushed],
  );
  const waiting = all.filter(needsConfirmation);
  const recent = all.filter((a) => !needsConfirmation(a)).slice(0, 50);
  useSiren(waiting.some((a) => a.kind === 'fire-alarm'));
  return (
    <div className="unit-alerts">
      <ErrorNote error={alerts.error} />
      {alerts.isPending && <Loading />}
      <h2>
        {t('unit.unconfirmed')} ({waiting.length})
      </h2>
      <ul className="cards" data-testid="unit-waiting">
        {waiting.map((a) => (
          <UnitAlertCard key={a.id} alert={a} />
        ))}
      </ul>
      <h2>{t('unit.recent')}</h2>
      {recent.length === 0 && <p className="muted">{t('alert.noAlerts')}</p>}
      <ul className="cards" data-testid="unit-recent">
        {recent.map((a) => (
          <UnitAlertCard key={a.id} alert={a} />
        ))}
      </ul>
    </div>
  );
}

/** One alert card; re-rendered only when its alert changes. */
export const UnitAlertCard = memo(function UnitAlertCard({ alert }: { alert: AlertSummary }) {
  const { t } = useTranslation();
  const location = typeof alert.detail['location'] === 'string' ? alert.detail['location'] : null;
  return (
    <li
      className={`card kind-${alert.kind} ${needsConfirmation(alert) && alert.kind === 'fire-alarm' ? 'flash' : ''}`}
      data-testid="alert-row"
      data-alert-id={alert.id}
      data-kind={alert.kind}
      data-confirmed={alert.confirmedAt === null ? 'no' : 'yes'}
    >
      <Link to={`/app/alerts/${alert.id}`} className="card-body">
        <div className="card-head">
          <KindBadge kind={alert.kind} />
          <Time iso={alert.receivedAt} />
        </div>
        <div className="card-title">{alert.title}</div>
        <div className="muted">
          {location ?? alert.deviceKey}
          {alert.firstSentElapsedMs !== null && ` · ${t('alert.latency')} ${formatDuration(alert.firstSentElapsedMs)}`}
        </div>
      </Link>
      <ConfirmButton alert={alert} />
    </li>
  );
});
