import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import type { Role } from '../api/api.model';
import { AuditAlertPage, AuditAlertsPage } from '../audit/audit-alerts.page';
import { useSession } from '../auth/session.context';
import { BoardPage } from '../console/board.page';
import { ConsoleAlertPage } from '../console/console-alert.page';
import { DutyPage } from '../console/duty.page';
import { MaintenancePage } from '../console/maintenance.page';
import { LoginPage } from '../pages/login.page';
import { AppLayout } from '../shared/app.layout';
import { DeviceListView } from '../shared/device-list.view';
import { Loading } from '../shared/ui';
import { UnitAlertPage } from '../unit/unit-alert.page';
import { UnitAlertsPage } from '../unit/unit-alerts.page';
import { UnitHistoryPage } from '../unit/unit-history.page';

/** Where each role lands after signing in. */
export const HOME: Record<Role, string> = { operator: '/console', unit: '/app', auditor: '/audit' };

/** Only `role` may see these pages; anyone else is sent home (the API refuses them anyway). */
function RequireRole({ role, children }: { role: Role; children: ReactNode }) {
  const { me } = useSession();
  if (me === null) return <Navigate to="/login" replace />;
  if (me.role !== role) return <Navigate to={HOME[me.role]} replace />;
  return <>{children}</>;
}

function Routed() {
  const { t } = useTranslation();
  const { token, me, loading } = useSession();
  if (loading) return <Loading />;
  if (token === null || me === null)
    return (
      <Routes>
        <Route path="*" element={<LoginPage />} />
      </Routes>
    );
  return (
    <Routes>
      <Route
        path="/console"
        element={
          <RequireRole role="operator">
            <AppLayout
              title={t('app.console')}
              nav={[
                { to: '/console', label: t('nav.board') },
                { to: '/console/devices', label: t('nav.devices') },
                { to: '/console/duty', label: t('nav.duty') },
                { to: '/console/maintenance', label: t('nav.maintenance') },
              ]}
            />
          </RequireRole>
        }
      >
        <Route index element={<BoardPage />} />
        <Route path="alerts/:id" element={<ConsoleAlertPage />} />
        <Route path="devices" element={<DeviceListView />} />
        <Route path="duty" element={<DutyPage />} />
        <Route path="maintenance" element={<MaintenancePage />} />
      </Route>
      <Route
        path="/app"
        element={
          <RequireRole role="unit">
            <AppLayout
              title={t('app.unitApp')}
              nav={[
                { to: '/app', label: t('nav.alerts') },
                { to: '/app/devices', label: t('nav.devices') },
                { to: '/app/history', label: t('nav.history') },
              ]}
            />
          </RequireRole>
        }
      >
        <Route index element={<UnitAlertsPage />} />
        <Route path="alerts/:id" element={<UnitAlertPage />} />
        <Route path="devices" element={<DeviceListView />} />
        <Route path="history" element={<UnitHistoryPage />} />
      </Route>
      <Route
        path="/audit"
        element={
          <RequireRole role="auditor">
            <AppLayout
              title={t('app.audit')}
              nav={[
                { to: '/audit', label: t('nav.alerts') },
                { to: '/audit/duty', label: t('nav.duty') },
              ]}
            />
          </RequireRole>
        }
      >
        <Route index element={<AuditAlertsPage />} />
        <Route path="alerts/:id" element={<AuditAlertPage />} />
        <Route path="duty" element={<DutyPage />} />
      </Route>
      <Route path="*" element={<Navigate to={HOME[me.role]} replace />} />
    </Routes>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <Routed />
    </BrowserRouter>
  );
}
