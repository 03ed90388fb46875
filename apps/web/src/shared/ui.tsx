import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/api.client';
import type { AlertKind, CommunicationState } from '../api/api.model';
import { useSession } from '../auth/session.context';
import { formatTime } from '../format/time.format';

/** A time in the platform's time zone. */
export function Time({ iso }: { iso: string | null | undefined }) {
  const { me } = useSession();
  const { i18n } = useTranslation();
  const text = formatTime(iso, me?.timeZone ?? 'Asia/Shanghai', i18n.language);
  return iso ? <time dateTime={iso}>{text}</time> : <span>{text}</span>;
}

/** The zone every time is shown in, for page footers. */
export function useTimeZone(): string {
  return useSession().me?.timeZone ?? 'Asia/Shanghai';
}

export function KindBadge({ kind }: { kind: AlertKind }) {
  const { t } = useTranslation();
  return <span className={`badge kind-${kind}`}>{t(`kind.${kind}`)}</span>;
}

export function CommBadge({ state }: { state: CommunicationState }) {
  const { t } = useTranslation();
  return (
    <span className={`badge comm-${state}`} data-testid="comm-state" data-state={state}>
      {t(`comm.${state}`)}
    </span>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return <p className="muted">{t('app.loading')}</p>;
}

export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error === null || error === undefined) return null;
  const message = error instanceof ApiError ? `${error.message} (${error.code})` : String(error);
  return (
    <p className="error" role="alert">
      {t('errors.generic', { message })}
    </p>
  );
}

export function Panel({ title, children, actions }: { title: ReactNode; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="panel">
      <header className="panel-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
