import { ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ALERT_KINDS, AlertKind } from '../api/api.model';
import { zonedInputToIso } from '../format/time.format';
import type { AlertQuery } from './queries';
import { useTimeZone } from './ui';

/** An alert-kind picker ("all" = ''). */
export function KindSelect({ value, onChange }: { value: AlertKind | ''; onChange: (kind: AlertKind | '') => void }) {
  const { t } = useTranslation();
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as AlertKind | '')} data-testid="kind-filter">
      <option value="">{t('board.all')}</option>
      {ALERT_KINDS.map((k) => (
        <option key={k} value={k}>
          {t(`kind.${k}`)}
        </option>
      ))}
    </select>
  );
}

/**
 * Kind and period filters of an alert search (history, audit): the period is entered as wall time
 * in the platform's zone and sent to `GET /api/alerts` as UTC.
 */
export function useAlertSearch(limit: number): { query: AlertQuery; fields: ReactNode } {
  const { t } = useTranslation();
  const timeZone = useTimeZone();
  const [kind, setKind] = useState<AlertKind | ''>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const query: AlertQuery = {
    kind: kind || undefined,
    from: zonedInputToIso(from, timeZone) ?? undefined,
    to: zonedInputToIso(to, timeZone) ?? undefined,
    limit,
  };
  const fields = (
    <>
      <KindSelect value={kind} onChange={setKind} />
      <label>
        {t('unit.from')} <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
      </label>
      <label>
        {t('unit.to')} <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
    </>
  );
  return { query, fields };
}
