import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAlertSearch } from '../shared/alert-filters.view';
import { useAlerts } from '../shared/queries';
import { ErrorNote, Loading } from '../shared/ui';
import { UnitAlertCard } from './unit-alerts.page';

/** The unit's alert history with search: kind and period on the platform, words on the page. */
export function UnitHistoryPage() {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const { query, fields } = useAlertSearch(500);
  const alerts = useAlerts(query, 'search');
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
        {fields}
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
