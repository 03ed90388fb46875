import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { AlertDetailView } from '../shared/alert-detail.view';
import { needsConfirmation } from '../shared/alert.order';
import { useAlert, useAlertAction } from '../shared/queries';
import { ErrorNote, Loading, Time } from '../shared/ui';

/** One alert in the unit's app: facility, location, time, delivery latency; confirm (4.2 b, c). */
export function UnitAlertPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const alert = useAlert(id);
  const action = useAlertAction(id);
  return (
    <div>
      <Link to="/app" className="back">
        ← {t('app.back')}
      </Link>
      {alert.isPending ? (
        <Loading />
      ) : alert.data ? (
        <AlertDetailView
          alert={alert.data}
          actions={
            <div className="buttons">
              {needsConfirmation(alert.data) ? (
                <button
                  type="button"
                  className="primary confirm big"
                  data-testid="confirm-button"
                  disabled={action.isPending}
                  onClick={() => action.mutate({ kind: 'confirm' })}
                >
                  {t('alert.confirm')}
                </button>
              ) : (
                alert.data.confirmedAt !== null && (
                  <span className="ok">
                    ✓ {t('state.confirmed')} <Time iso={alert.data.confirmedAt} />
                  </span>
                )
              )}
              <ErrorNote error={action.error} />
            </div>
          }
        />
      ) : (
        <p className="error" data-testid="alert-not-found">
          {t('alert.notFound')}
        </p>
      )}
    </div>
  );
}
