import { FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../auth/session.context';
import { useDuty, useDutyAction } from '../shared/queries';
import { ErrorNote, KindBadge, Loading, Panel, Time } from '../shared/ui';

/**
 * The monitoring centre's duty log and shift handover register (CQC/SC 11002 5.4.1 a, b): who is
 * on duty, log entries, and handovers with the alarms still open at that moment. Auditors read it.
 */
export function DutyPage() {
  const { t } = useTranslation();
  const me = useMe();
  const duty = useDuty();
  const action = useDutyAction();
  const [note, setNote] = useState('');
  const [to, setTo] = useState('');
  const onDuty = duty.data?.onDuty.some((d) => d.userId === me.userId) ?? false;
  const canWrite = me.role === 'operator';
  const run = (path: 'start' | 'end' | 'entries' | 'handover', body: Record<string, string>) =>
    action.mutate({ path, body }, { onSuccess: () => setNote('') });
  const handover = (event: FormEvent) => {
    event.preventDefault();
    run('handover', { to: to.trim(), note: note.trim() });
  };
  return (
    <div className="duty">
      <Panel title={t('duty.onDuty')}>
        {duty.isPending && <Loading />}
        {duty.data?.onDuty.length === 0 && <p className="muted">{t('duty.nobody')}</p>}
        <ul className="plain" data-testid="on-duty">
          {(duty.data?.onDuty ?? []).map((d) => (
            <li key={d.userId}>
              <strong>{d.username}</strong> {t('duty.since', { at: '' })}
              <Time iso={d.since} />
            </li>
          ))}
        </ul>
      </Panel>
      {canWrite && (
        <Panel title={t('duty.title')}>
          <textarea
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder={t('duty.note')}
            rows={2}
            maxLength={1000}
            data-testid="duty-note"
          />
          <div className="buttons">
            {!onDuty && (
              <button
                type="button"
                onClick={() => run('start', note.trim() ? { note: note.trim() } : {})}
                data-testid="duty-start"
              >
                {t('duty.start')}
              </button>
            )}
            <button
              type="button"
              disabled={note.trim() === ''}
              onClick={() => run('entries', { note: note.trim() })}
              data-testid="duty-entry"
            >
              {t('duty.entry')}
            </button>
            {onDuty && (
              <button
                type="button"
                onClick={() => run('end', note.trim() ? { note: note.trim() } : {})}
                data-testid="duty-end"
              >
                {t('duty.end')}
              </button>
            )}
          </div>
          {onDuty && (
            <form className="inline-form" onSubmit={handover}>
              <input
                placeholder={t('duty.handoverTo')}
                value={to}
                onChange={(e) => setTo(e.target.value)}
                required
                data-testid="handover-to"
              />
              <button type="submit" disabled={note.trim() === ''} data-testid="handover-submit">
                {t('duty.handover')}
              </button>
            </form>
          )}
          <ErrorNote error={action.error} />
        </Panel>
      )}
      <ErrorNote error={duty.error} />
      <ol className="duty-log" data-testid="duty-log">
        {(duty.data?.entries ?? []).map((e) => (
          <li key={e.id} data-kind={e.kind}>
            <Time iso={e.at} /> · <strong>{t(`duty.kinds.${e.kind}`)}</strong> · {e.username}
            {e.to ? ` → ${e.to.username}` : ''}
            {e.note ? `: ${e.note}` : ''}
            {e.openAlerts !== null && (
              <details>
                <summary>{t('duty.openAtHandover', { count: e.openAlertsTotal ?? e.openAlerts.length })}</summary>
                <ul className="plain">
                  {e.openAlerts.map((a) => (
                    <li key={a.id}>
                      <KindBadge kind={a.kind} /> {a.title} · {a.deviceKey} · <Time iso={a.receivedAt} />
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
