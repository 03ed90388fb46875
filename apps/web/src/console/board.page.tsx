import { memo, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { AlertKind, AlertSummary } from '../api/api.model';
import { useLive, useSiren } from '../live/live.context';
import { KindSelect } from '../shared/alert-filters.view';
import { boardOrder, mergeAlerts } from '../shared/alert.order';
import { OPEN_ALERTS_LIMIT, useOpenAndLatestAlerts, useOperatorAlerts, useUnits } from '../shared/queries';
import { ErrorNote, KindBadge, Loading, Panel, Time } from '../shared/ui';

/**
 * The monitoring centre's live alarm board across every unit: fire alarms first and unmistakable
 * (red, flashing, a siren until someone receives them), then faults and the rest, least handled
 * first (CQC/SC 11002 4.3, 5.4.1 e).
 */
export function BoardPage() {
  const { t } = useTranslation();
  const live = useLive();
  const [showClosed, setShowClosed] = useState(false);
  const [kind, setKind] = useState<AlertKind | ''>('');
  // Closed alerts are read (the latest 200) only while they are shown.
  const alerts = useOpenAndLatestAlerts(showClosed ? 200 : null);
  const units = useUnits();
  const unitName = useMemo(() => new Map((units.data ?? []).map((u) => [u.id, u.name])), [units.data]);
  const all = useMemo(
    () => mergeAlerts(alerts.data ?? [], live.pushed, boardOrder).filter((a) => a.suppressed === null),
    [alerts.data, live.pushed],
  );
  const open = all.filter((a) => a.closedAt === null);
  const shown = all.filter((a) => (showClosed || a.closedAt === null) && (kind === '' || a.kind === kind));
  const fires = open.filter((a) => a.kind === 'fire-alarm');
  useSiren(fires.some((a) => a.handling === 'new'));
  return (
    <div className="board">
      <div
        className={`board-summary ${fires.length > 0 ? 'fire' : ''} ${fires.some((a) => a.handling === 'new') ? 'flash' : ''}`}
        data-testid="board-summary"
      >
        <strong>
          {t('board.openAlarms')}: {open.length}
        </strong>
        <span className="fire-count">{t('board.fireCount', { count: fires.length })}</span>
        <label>
          {t('board.filterKind')} <KindSelect value={kind} onChange={setKind} />
        </label>
        <label>
          <input type="checkbox" checked={showClosed} onChange={(e) => setShowClosed(e.target.checked)} />{' '}
          {t('board.showClosed')}
        </label>
      </div>
      <ErrorNote error={alerts.error} />
      {alerts.truncated && (
        <p className="error" data-testid="board-truncated">
          {t('board.truncated', { count: OPEN_ALERTS_LIMIT })}
        </p>
      )}
      {alerts.isPending ? (
        <Loading />
      ) : shown.length === 0 ? (
        <p className="muted">{t('alert.noAlerts')}</p>
      ) : (
        <ul className="alarm-list" data-testid="board">
          {shown.map((a) => (
            <BoardRow key={a.id} alert={a} unit={a.unitId === null ? null : (unitName.get(a.unitId) ?? null)} />
          ))}
        </ul>
      )}
      <PlatformAlerts />
    </div>
  );
}

/** One row; re-rendered only when its alert changes (the list re-renders on every push). */
const BoardRow = memo(function BoardRow({ alert, unit }: { alert: AlertSummary; unit: string | null }) {
  const { t } = useTranslation();
  const urgent = alert.kind === 'fire-alarm' && alert.closedAt === null;
  const location = typeof alert.detail['location'] === 'string' ? alert.detail['location'] : null;
  return (
    <li
      className={`alarm kind-${alert.kind} ${urgent && alert.handling === 'new' ? 'unreceived' : ''} ${alert.closedAt ? 'closed' : ''}`}
      data-testid="alert-row"
      data-alert-id={alert.id}
      data-kind={alert.kind}
      data-handling={alert.handling}
      data-confirmed={alert.confirmedAt === null ? 'no' : 'yes'}
    >
      <Link to={`/console/alerts/${alert.id}`} className="alarm-link">
        <KindBadge kind={alert.kind} />
        <span className="alarm-title">{alert.title}</span>
        <span className="alarm-meta">
          {unit ?? '—'} · {location === null ? '' : `${location} · `}
          {alert.deviceKey} · <Time iso={alert.receivedAt} />
        </span>
        <span className={`stage stage-${alert.handling}`}>{t(`handling.${alert.handling}`)}</span>
        <span className={`confirm-flag ${alert.confirmedAt ? 'yes' : 'no'}`} data-testid="confirmed-flag">
          {alert.confirmedAt ? `✓ ${t('state.confirmed')}` : t('alert.notConfirmed')}
        </span>
      </Link>
    </li>
  );
});

function PlatformAlerts() {
  const { t } = useTranslation();
  const alerts = useOperatorAlerts();
  if (!alerts.data || alerts.data.length === 0) return null;
  return (
    <Panel title={t('board.platformAlerts')}>
      <ul className="plain">
        {alerts.data.map((a) => (
          <li key={a.id}>
            <Time iso={a.raisedAt} /> · {a.clause} · {a.title}
          </li>
        ))}
      </ul>
    </Panel>
  );
}
