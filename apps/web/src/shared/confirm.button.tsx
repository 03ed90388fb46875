import { useTranslation } from 'react-i18next';
import type { AlertSummary } from '../api/api.model';
import { needsConfirmation } from './alert.order';
import { useAlertAction } from './queries';
import { ErrorNote, Time } from './ui';

/** The unit's confirm button (CQC/SC 11002 4.2 c), or when it was confirmed. */
export function ConfirmButton({ alert, big = false }: { alert: AlertSummary; big?: boolean }) {
  const { t } = useTranslation();
  const action = useAlertAction(alert.id);
  return (
    <>
      {needsConfirmation(alert) ? (
        <button
          type="button"
          className={`primary confirm ${big ? 'big' : ''}`}
          data-testid="confirm-button"
          disabled={action.isPending}
          onClick={() => action.mutate({ kind: 'confirm' })}
        >
          {t('alert.confirm')}
        </button>
      ) : (
        alert.confirmedAt !== null && (
          <span className="ok">
            ✓ {t('state.confirmed')} {big && <Time iso={alert.confirmedAt} />}
          </span>
        )
      )}
      <ErrorNote error={action.error} />
    </>
  );
}
