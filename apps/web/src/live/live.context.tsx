import { useQueryClient } from '@tanstack/react-query';
import { createContext, ReactNode, useContext, useEffect, useState } from 'react';
import { io } from 'socket.io-client';
import type { AlertPush, AlertUpdate, OperatorAlert } from '../api/api.model';
import { useSession } from '../auth/session.context';
import { alarmSound } from './alarm.sound';

export interface Live {
  /** Connected to socket.io `/alerts`. */
  readonly connected: boolean;
  /** Alerts pushed since the page loaded, newest first (shown until the list has them). */
  readonly pushed: readonly AlertPush[];
  readonly operatorAlerts: readonly OperatorAlert[];
}

/** How often at most a burst of pushes re-reads the lists. */
const REFRESH_MS = 1_000;

const LiveContext = createContext<Live>({ connected: false, pushed: [], operatorAlerts: [] });

/**
 * The app channel (contract.md, "App channel"): socket.io `/alerts` with the bearer token.
 * Every `alert` is acknowledged at once (the platform records the delivery, CQC/SC 11002 4.3.3),
 * chimes (fire alarms start the siren from the pages), and refreshes the lists; `alert-updated`
 * (confirmed, received, closed…) refreshes the alert everywhere it is shown. Auditors have no
 * socket (the platform refuses them: read-only evidence).
 */
export function LiveProvider({ children }: { children: ReactNode }) {
  const { token, me } = useSession();
  const queryClient = useQueryClient();
  const [connected, setConnected] = useState(false);
  const [pushed, setPushed] = useState<readonly AlertPush[]>([]);
  const [operatorAlerts, setOperatorAlerts] = useState<readonly OperatorAlert[]>([]);
  const role = me?.role ?? null;

  useEffect(() => {
    if (token === null || role === null || role === 'auditor') return undefined;
    const socket = io('/alerts', { auth: { token }, transports: ['websocket'] });
    // Lists are re-read at most every REFRESH_MS however many pushes arrive (a burst of alarms is
    // not a burst of 500-row reads); a pushed alert shows at once from `pushed` meanwhile.
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const pending = new Map<string, readonly string[]>();
    let flushAt = 0;
    const flush = () => {
      flushAt = 0;
      const keys = [...pending.values()];
      pending.clear();
      for (const key of keys) void queryClient.invalidateQueries({ queryKey: key });
    };
    const refresh = (keys: readonly (readonly string[])[], delayMs = REFRESH_MS) => {
      for (const key of keys) pending.set(key.join('\u0000'), key);
      const at = Date.now() + delayMs;
      if (flushAt !== 0 && flushAt <= at) return;
      flushAt = at;
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (flushAt !== 0 && Date.now() >= flushAt - 5) flush();
      }, delayMs);
      timers.add(timer);
    };
    socket.on('connect', () => {
      setConnected(true);
      refresh([['alerts']], 0);
    });
    socket.on('disconnect', () => setConnected(false));
    socket.on('alert', (push: AlertPush, ack?: (reply: unknown) => void) => {
      ack?.({ ok: true });
      setPushed((list) => [push, ...list.filter((p) => p.alertId !== push.alertId)].slice(0, 200));
      if (push.kind !== 'fire-alarm') alarmSound.chime();
      // Read after the alert's row is committed (the push can beat it to the database).
      refresh([['alerts']]);
    });
    socket.on('alert-updated', (update: AlertUpdate) => {
      void queryClient.invalidateQueries({ queryKey: ['alert', update.alertId] });
      refresh([['alerts']], 100);
    });
    socket.on('operator-alert', (alert: OperatorAlert) => {
      setOperatorAlerts((list) => [alert, ...list.filter((a) => a.id !== alert.id)].slice(0, 50));
      refresh([['operator-alerts']], 0);
    });
    return () => {
      for (const timer of timers) clearTimeout(timer);
      socket.close();
      setConnected(false);
      setPushed([]);
    };
  }, [token, role, queryClient]);

  return <LiveContext.Provider value={{ connected, pushed, operatorAlerts }}>{children}</LiveContext.Provider>;
}

export function useLive(): Live {
  return useContext(LiveContext);
}

/** Keeps the fire-alarm siren on while `active` (e.g. a fire alarm nobody has received yet). */
export function useSiren(active: boolean): void {
  useEffect(() => {
    if (active) alarmSound.startSiren();
    else alarmSound.stopSiren();
    return () => alarmSound.stopSiren();
  }, [active]);
}
