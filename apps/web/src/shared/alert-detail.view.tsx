import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { AlertDetail } from '../api/api.model';
import { formatDuration } from '../format/time.format';
import { KindBadge, Time } from './ui';

function locationOf(alert: AlertDetail): string | null {
  const location = alert.detail['location'];
  return typeof location === 'string' && location !== '' ? location : null;
}

/**
 * One alert, as every role reads it: what and where (4.2 b), when it was received and how fast it
 * reached the unit against its clause's deadline (4.3.1/4.3.2), every channel attempt with its
 * timestamps (Annex B), and the handling register (5.4.1 e). Actions come from the page.
 */
export function AlertDetailView({ alert, actions }: { alert: AlertDetail; actions?: ReactNode }) {
  const { t } = useTranslation();
  const location = locationOf(alert);
  return (
    <article
      className={`alert-detail kind-${alert.kind}`}
      data-testid="alert-detail"
      data-alert-id={alert.id}
      data-state={alert.state}
      data-handling={alert.handling}
      data-confirmed={alert.confirmedAt === null ? 'no' : 'yes'}
    >
      <header className="alert-detail-head">
        <KindBadge kind={alert.kind} />
        <h1>{alert.title}</h1>
      </header>
      <dl className="facts">
        <dt>{t('alert.device')}</dt>
        <dd>
          {alert.deviceKey}
          {alert.subject !== alert.deviceKey ? ` · ${alert.subject}` : ''}
        </dd>
        {location !== null && (
          <>
            <dt>{t('alert.location')}</dt>
            <dd>{location}</dd>
          </>
        )}
        <dt>{t('alert.clause')}</dt>
        <dd>
          CQC/SC 11002 {alert.clause}
          {alert.item ? ` ${alert.item})` : ''}
        </dd>
        <dt>{t('alert.receivedAt')}</dt>
        <dd>
          <Time iso={alert.receivedAt} />
        </dd>
        <dt>{t('alert.firstSentAt')}</dt>
        <dd>
          <Time iso={alert.firstSentAt} />
        </dd>
        <dt>{t('alert.latency')}</dt>
        <dd data-testid="alert-latency">
          {formatDuration(alert.firstSentElapsedMs)} / {t('alert.deadline')} {formatDuration(alert.deadlineMs)}{' '}
          {alert.deadlineMet === true && <span className="ok">✓ {t('alert.deadlineMet')}</span>}
          {alert.deadlineMet === false && <span className="bad">✗ {t('alert.deadlineMissed')}</span>}
        </dd>
        <dt>{t('alert.status')}</dt>
        <dd data-testid="alert-state">
          {t(`state.${alert.state}`)} · {t(`handling.${alert.handling}`)}
          {alert.suppressed !== null && <> · {t('alert.suppressed', { reason: alert.suppressed })}</>}
        </dd>
        {alert.repeats > 0 && (
          <>
            <dt>{t('alert.repeats')}</dt>
            <dd>{alert.repeats}</dd>
          </>
        )}
      </dl>
      {actions}
      <h2>{t('alert.channels')}</h2>
      <div className="table-wrap">
        <table className="attempts" data-testid="attempts">
          <thead>
            <tr>
              <th>{t('alert.channel')}</th>
              <th>{t('alert.recipient')}</th>
              <th>{t('alert.attempt')}</th>
              <th>{t('alert.status')}</th>
              <th>{t('alert.at')}</th>
              <th>{t('alert.elapsed')}</th>
            </tr>
          </thead>
          <tbody>
            {alert.attempts.map((a) => (
              <tr key={`${a.attemptKey}-${a.status}-${a.at}`} data-channel={a.channel} data-status={a.status}>
                <td>{t(`channelName.${a.channel}`)}</td>
                <td>{a.address ?? a.recipient ?? '—'}</td>
                <td>{a.attemptNo}</td>
                <td>
                  {a.status in STATUS_KEYS ? t(`attemptStatus.${a.status}`) : a.status}
                  {a.error ? ` (${a.error})` : ''}
                </td>
                <td>
                  <Time iso={a.at} />
                </td>
                <td>
                  {a.elapsedUs === null ? '—' : formatDuration(a.elapsedUs / 1000)}
                  {a.deadlineMet === true && <span className="ok"> ✓</span>}
                  {a.deadlineMet === false && <span className="bad"> ✗</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{t('alert.register')}</h2>
      <ol className="register" data-testid="register">
        <li>
          <Time iso={alert.receivedAt} /> — {t('alert.receivedAt')}
        </li>
        {alert.events.map((e, i) => (
          <li key={`${e.type}-${e.at}-${i}`} data-event={e.type}>
            <Time iso={e.at} /> — <strong>{e.type in HANDLING_EVENT ? t(HANDLING_EVENT[e.type] ?? '') : e.type}</strong>
            {e.actorName ? ` · ${e.actorName}` : ''}
            {e.note ? `: ${e.note}` : ''}
          </li>
        ))}
      </ol>
    </article>
  );
}

const STATUS_KEYS: Record<string, true> = {
  dispatched: true,
  accepted: true,
  delivered: true,
  failed: true,
  queued: true,
  'not-configured': true,
};

const HANDLING_EVENT: Record<string, string> = {
  received: 'handling.received',
  verified: 'handling.verified',
  notified: 'handling.notified',
  closed: 'handling.closed',
  confirmed: 'state.confirmed',
};
