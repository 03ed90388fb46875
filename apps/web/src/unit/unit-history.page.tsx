import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ALERT_KINDS, AlertKind } from '../api/api.model';
import { zonedInputToIso } from '../format/time.format';
import { useAlerts } from '../shared/queries';
import { ErrorNote, Loading, useTimeZone } from '../shared/ui';
import { UnitAlertCard } from './unit-alerts.page';

/** The unit's alert history with search: kind and period on the platform, words on the page. */
export function UnitHistoryPage() {
  const { t } = useTranslation();
  const timeZone = useTimeZone();
  const [kind, setKind] = useState<AlertKind | ''>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const alerts = useAlerts(
    {
      kind: kind || undefined,
      from: zonedInputToIso(from, timeZone) ?? undefined,
      to: zonedInputToIso(to, timeZone) ?? undefined,
      limit: 500,
    },
    'search',
  );
  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return (alerts.data ?? []).filter(
      (a) => needle === '' || [a.title, a.deviceKey, a.subject].some((s) => s.toLowerCase().includes(needle)),
    );
  }, [alerts.data, text]);
  return (
    <div className="history">
      <div className="filters">
        <input
          type="search"
          placeholder={t('unit.searchPlaceholder')}
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="history-search"
        />
        <select value={kind} onChange={(e) => setKind(e.target.value as AlertKind | '')}>
          <option value="">{t('board.all')}</option>
          {ALERT_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}`)}
            </option>
          ))}
        </select>
        <label>
          {t('unit.from')} <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          {t('unit.to')} <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </div>
      <ErrorNote error={alerts.error} />
      {alerts.isPending && <Loading />}
      {shown.length === 0 && !alerts.isPending && <p className="muted">{t('alert.noAlerts')}</p>}
      <ul className="cards" data-testid="history">
        {shown.map((a) => (
          <UnitAlertCard key={a.id} alert={a} />
        ))}
      </ul>
    </div>
  );
}
