import { useTranslation } from 'react-i18next';
import { useMaintenanceDue } from '../shared/queries';
import { ErrorNote, Loading, Time } from '../shared/ui';

/** Maintenance items due and overdue (CQC/SC 11002 4.4.4, Annex A), overdue first. */
export function MaintenancePage() {
  const { t, i18n } = useTranslation();
  const due = useMaintenanceDue();
  return (
    <div className="maintenance">
      <h1>{t('maintenance.title')}</h1>
      <ErrorNote error={due.error} />
      {due.isPending && <Loading />}
      {due.data && (
        <>
          <p data-testid="maintenance-summary">
            {t('maintenance.summary', { due: due.data.due, overdue: due.data.overdue })}
          </p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>{t('maintenance.status')}</th>
                  <th>{t('maintenance.item')}</th>
                  <th>{t('maintenance.object')}</th>
                  <th>{t('maintenance.nextDue')}</th>
                  <th>{t('maintenance.lastDone')}</th>
                </tr>
              </thead>
              <tbody>
                {due.data.items.map((item) => (
                  <tr key={`${item.itemId}-${item.deviceKey ?? 'platform'}`} className={`status-${item.status}`}>
                    <td>
                      {t(
                        `maintenance.statuses.${item.status === 'overdue' ? 'overdue' : item.status === 'due' ? 'due' : 'ok'}`,
                      )}
                    </td>
                    <td>{i18n.language === 'en' ? item.title.en : item.title.zh}</td>
                    <td>{item.deviceKey ?? item.object}</td>
                    <td>
                      <Time iso={item.nextDueAt} />
                    </td>
                    <td>
                      <Time iso={item.lastDoneAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
