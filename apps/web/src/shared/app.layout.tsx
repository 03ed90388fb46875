import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet } from 'react-router';
import { useMe, useSession } from '../auth/session.context';
import { switchLanguage } from '../i18n/i18n';
import { alarmSound } from '../live/alarm.sound';
import { useLive } from '../live/live.context';
import { useTimeZone } from './ui';

export interface NavItem {
  readonly to: string;
  readonly label: string;
}

/**
 * The frame of every signed-in page: who is signed in, the live connection, sound, language,
 * the role's navigation (a bottom bar on a phone), the page.
 */
export function AppLayout({ title, nav }: { title: string; nav: readonly NavItem[] }) {
  const { t } = useTranslation();
  const me = useMe();
  const { logout } = useSession();
  const live = useLive();
  const timeZone = useTimeZone();
  const [, rerender] = useState(0);
  const soundLocked = !alarmSound.unlocked && me.role !== 'auditor';
  const toggleSound = () => {
    alarmSound.muted = !alarmSound.muted;
    rerender((n) => n + 1);
  };
  const unlockSound = () => void alarmSound.unlock().then(() => rerender((n) => n + 1));
  return (
    <div className={`app role-${me.role}`}>
      <header className="topbar">
        <div className="brand">
          <img className="logo" src="/icon.svg" alt="" width={24} height={24} />
          <span>{title}</span>
          {me.unitName !== null && <span className="unit-name">{me.unitName}</span>}
        </div>
        <div className="topbar-tools">
          {me.role !== 'auditor' && (
            <span
              className={`conn ${live.connected ? 'on' : 'off'}`}
              data-testid="live-status"
              data-connected={live.connected}
            >
              {live.connected ? t('app.live') : t('app.offline')}
            </span>
          )}
          {soundLocked ? (
            <button type="button" className="linkish" onClick={unlockSound}>
              {t('app.enableSound')}
            </button>
          ) : (
            me.role !== 'auditor' && (
              <button type="button" className="linkish" onClick={toggleSound}>
                {alarmSound.muted ? t('app.soundOff') : t('app.soundOn')}
              </button>
            )
          )}
          <button type="button" className="linkish" onClick={() => void switchLanguage()} data-testid="language">
            {t('app.language')}
          </button>
          <span className="user" data-testid="username">
            {me.username}
          </span>
          <button type="button" className="linkish" onClick={logout} data-testid="logout">
            {t('app.logout')}
          </button>
        </div>
      </header>
      <nav className="nav">
        {nav.map((item) => (
          <NavLink key={item.to} to={item.to} end className={({ isActive }) => (isActive ? 'active' : '')}>
            {item.label}
          </NavLink>
        ))}
      </nav>
      <main className="main">
        <Outlet />
      </main>
      <footer className="footer muted">fireiot · {timeZone}</footer>
    </div>
  );
}
