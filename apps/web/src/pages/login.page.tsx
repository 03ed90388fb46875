import { FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/api.client';
import { useSession } from '../auth/session.context';
import { switchLanguage } from '../i18n/i18n';
import { alarmSound } from '../live/alarm.sound';

/** Sign-in for every role; the platform's answer decides where the user lands. */
export function LoginPage() {
  const { t } = useTranslation();
  const { login } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    // The click is the user gesture browsers require before a page may play the alarm sound.
    void alarmSound.unlock().catch(() => undefined);
    login(username, password).catch((e: unknown) => {
      setError(e instanceof ApiError ? e.message : String(e));
      setBusy(false);
    });
  };
  return (
    <div className="login">
      <form className="login-card" onSubmit={submit}>
        <h1>
          <img className="logo" src="/icon.svg" alt="" width={32} height={32} /> {t('app.name')}
        </h1>
        <h2>{t('login.title')}</h2>
        <label>
          {t('login.username')}
          <input
            data-testid="login-username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
        </label>
        <label>
          {t('login.password')}
          <input
            data-testid="login-password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {error !== null && (
          <p className="error" role="alert" data-testid="login-error">
            {t('login.failed', { message: error })}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
          {t('login.submit')}
        </button>
        <button type="button" className="linkish" onClick={() => void switchLanguage()}>
          {t('app.language')}
        </button>
      </form>
    </div>
  );
}
