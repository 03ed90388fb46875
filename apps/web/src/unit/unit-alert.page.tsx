import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { AlertDetailView } from '../shared/alert-detail.view';
import { ConfirmButton } from '../shared/confirm.button';
import { useAlert } from '../shared/queries';
import { Loading } from '../shared/ui';

/** One alert in the unit's app: facility, location, time, delivery latency; confirm (4.2 b, c). */
export function UnitAlertPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const alert = useAlert(id);
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
              <ConfirmButton alert={alert.data} big />
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
