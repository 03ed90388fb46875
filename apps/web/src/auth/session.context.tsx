import { QueryClient, useQuery } from '@tanstack/react-query';
import { createContext, ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { ApiClient, login as apiLogin } from '../api/api.client';
import type { Me } from '../api/api.model';

const TOKEN_KEY = 'fireiot.token';

export interface Session {
  readonly token: string | null;
  readonly me: Me | null;
  readonly loading: boolean;
  readonly api: ApiClient;
  login(username: string, password: string): Promise<void>;
  logout(): void;
}

const SessionContext = createContext<Session | null>(null);

/**
 * The signed-in user: the bearer token (kept in localStorage, so the installed app stays signed
 * in on a phone) and who it is (`GET /api/auth/me`: role, unit, the platform's time zone).
 */
export function SessionProvider({ queryClient, children }: { queryClient: QueryClient; children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(TOKEN_KEY));
  const logout = useCallback(() => {
    localStorage.removeItem(TOKEN_KEY);
    setToken(null);
    queryClient.clear();
  }, [queryClient]);
  const api = useMemo(() => new ApiClient(() => token, logout), [token, logout]);
  const me = useQuery({
    queryKey: ['me', token],
    queryFn: () => api.get<Me>('/api/auth/me'),
    enabled: token !== null,
    staleTime: Infinity,
    retry: false,
  });
  const login = useCallback(async (username: string, password: string) => {
    const accessToken = await apiLogin(username, password);
    localStorage.setItem(TOKEN_KEY, accessToken);
    setToken(accessToken);
  }, []);
  const signedIn = token === null ? null : (me.data ?? null);
  const loading = token !== null && me.isPending;
  // One value object while nothing changes: every component reading the session (every time on
  // the page) re-renders only when it does.
  const value: Session = useMemo(
    () => ({ token, me: signedIn, loading, api, login, logout }),
    [token, signedIn, loading, api, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in user (pages below the role guard only). */
export function useMe(): Me {
  const { me } = useSession();
  if (me === null) throw new Error('useMe without a signed-in user');
  return me;
}
