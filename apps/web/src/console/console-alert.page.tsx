import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type { AlertDetail, HandlingStep } from '../api/api.model';
import { AlertDetailView } from '../shared/alert-detail.view';
import { useAlert, useAlertAction } from '../shared/queries';
import { ErrorNote, Loading } from '../shared/ui';

/** One alarm on the console, with its handling workflow: receive → verify → notify → close (5.4.1 e). */
export function ConsoleAlertPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const alert = useAlert(id);
  return (
    <div>
      <Link to="/console" className="back">
        ← {t('app.back')}
      </Link>
      {alert.isPending ? (
        <Loading />
      ) : alert.data ? (
        <AlertDetailView alert={alert.data} actions={<Workflow alert={alert.data} />} />
      ) : (
        <p className="error" data-testid="alert-not-found">
          {t('alert.notFound')}
        </p>
      )}
    </div>
  );
}

function Workflow({ alert }: { alert: AlertDetail }) {
  const { t } = useTranslation();
  const [note, setNote] = useState('');
  const [missingNote, setMissingNote] = useState(false);
  const action = useAlertAction(alert.id);
  if (alert.closedAt !== null) return null;
  const step = (s: HandlingStep, needsNote: boolean) => {
    if (needsNote && note.trim() === '') return setMissingNote(true);
    setMissingNote(false);
    action.mutate({ kind: 'step', step: s, note }, { onSuccess: () => setNote('') });
  };
  const close = () => {
    if (note.trim() === '') return setMissingNote(true);
    setMissingNote(false);
    action.mutate({ kind: 'close', note }, { onSuccess: () => setNote('') });
  };
  const received = alert.handling !== 'new';
  return (
    <section className="workflow" data-testid="workflow">
      <h2>{t('workflow.title')}</h2>
      <ol className="steps">
        <li className={received ? 'done' : ''}>{t('handling.received')}</li>
        <li className={['verified', 'notified'].includes(alert.handling) ? 'done' : ''}>{t('handling.verified')}</li>
        <li className={alert.handling === 'notified' ? 'done' : ''}>{t('handling.notified')}</li>
        <li>{t('handling.closed')}</li>
      </ol>
      <textarea
        data-testid="workflow-note"
        value={note}
        placeholder={t('workflow.notePlaceholder')}
        onChange={(e) => setNote(e.target.value)}
        rows={3}
        maxLength={1000}
      />
      {missingNote && <p className="error">{t('workflow.noteRequired')}</p>}
      <div className="buttons">
        <button
          type="button"
          data-testid="step-received"
          disabled={received || action.isPending}
          onClick={() => step('received', false)}
        >
          {t('workflow.receive')}
        </button>
        <button
          type="button"
          data-testid="step-verified"
          disabled={action.isPending}
          onClick={() => step('verified', true)}
        >
          {t('workflow.verify')}
        </button>
        <button
          type="button"
          data-testid="step-notified"
          disabled={action.isPending}
          onClick={() => step('notified', true)}
        >
          {t('workflow.notify')}
        </button>
        <button type="button" className="primary" data-testid="step-close" disabled={action.isPending} onClick={close}>
          {t('workflow.close')}
        </button>
      </div>
      <ErrorNote error={action.error} />
    </section>
  );
}
