import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import type {
  AlertDetail,
  AlertSummary,
  Device,
  DutyEntry,
  DutyView,
  HandlingStep,
  MaintenanceDue,
  OperatorAlert,
  Reading,
  Shield,
  Unit,
} from '../api/api.model';
import { useSession } from '../auth/session.context';
import { combineFetched } from './alert.order';

export interface AlertQuery {
  readonly kind?: string;
  readonly from?: string;
  readonly to?: string;
  readonly unitId?: string;
  /** true: every open alert however old; false: only closed, restored or suppressed ones. */
  readonly open?: boolean;
  readonly limit?: number;
}

/**
 * `GET /api/alerts` (scoped to the caller's unit by the platform). `live` lists are pushed into.
 * `enabled: false` asks nothing (a list the page does not show now).
 */
export function useAlerts(query: AlertQuery, scope: 'live' | 'search' = 'live', enabled = true) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['alerts', scope, query],
    queryFn: async () => (await api.get<{ alerts: AlertSummary[] }>('/api/alerts', { ...query })).alerts,
    placeholderData: keepPreviousData,
    refetchInterval: scope === 'live' ? 30_000 : false,
    enabled,
  });
}

/** The most open alerts one request returns (the API's maximum). */
export const OPEN_ALERTS_LIMIT = 1000;

/**
 * Every open alert however old (one cache entry shared by the board, the device lists and the
 * unit's page), so an old alarm still open never drops off behind newer closed ones.
 */
export function useOpenAlerts() {
  return useAlerts({ open: true, limit: OPEN_ALERTS_LIMIT });
}

/**
 * The open alerts and the latest `latest` of all (null: only the open ones, one request less on
 * every refresh), as one list. `truncated`: there are more open alerts than one request returns,
 * and the oldest of them are not in the list.
 */
export function useOpenAndLatestAlerts(latest: number | null) {
  const open = useOpenAlerts();
  const recent = useAlerts({ limit: latest ?? 1 }, 'live', latest !== null);
  const recentData = latest === null ? undefined : recent.data;
  const data = useMemo(
    () => (open.data === undefined && recentData === undefined ? undefined : combineFetched(open.data, recentData)),
    [open.data, recentData],
  );
  return {
    data,
    error: open.error ?? (latest === null ? null : recent.error),
    // The open alerts are what the page is for: shown as soon as they are in.
    isPending: open.isPending,
    truncated: (open.data?.length ?? 0) >= OPEN_ALERTS_LIMIT,
  };
}

export function useAlert(id: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['alert', id],
    queryFn: () => api.get<AlertDetail>(`/api/alerts/${encodeURIComponent(id)}`),
    retry: (count, error) => count < 2 && !(error instanceof Error && 'status' in error && error.status === 404),
  });
}

/** An action on an alert; the alert and every list refresh when it is done. */
export function useAlertAction(id: string) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (
      action:
        { kind: 'confirm' } | { kind: 'step'; step: HandlingStep; note: string } | { kind: 'close'; note: string },
    ) => {
      switch (action.kind) {
        case 'confirm':
          return api.post<AlertDetail>(`/api/alerts/${id}/confirm`, {});
        case 'step':
          return api.post<AlertDetail>(`/api/alerts/${id}/steps`, {
            step: action.step,
            ...(action.note.trim() === '' ? {} : { note: action.note.trim() }),
          });
        case 'close':
          return api.post<AlertDetail>(`/api/alerts/${id}/close`, { note: action.note.trim() });
      }
    },
    onSuccess: (detail) => {
      queryClient.setQueryData(['alert', id], detail);
      void queryClient.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
}

export function useDevices() {
  const { api } = useSession();
  return useQuery({
    queryKey: ['devices'],
    queryFn: async () => (await api.get<{ devices: Device[] }>('/api/devices')).devices,
    refetchInterval: 10_000,
  });
}

export function useReadings(deviceId: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: ['readings', deviceId],
    queryFn: async () =>
      (await api.get<{ readings: Reading[] }>(`/api/devices/${deviceId ?? ''}/readings`, { limit: 10 })).readings,
    enabled: deviceId !== null,
    refetchInterval: 10_000,
  });
}

export function useUnits() {
  const { api } = useSession();
  return useQuery({
    queryKey: ['units'],
    queryFn: async () => (await api.get<{ units: Unit[] }>('/api/units')).units,
    staleTime: 60_000,
  });
}

export function useShields() {
  const { api } = useSession();
  return useQuery({
    queryKey: ['shields'],
    queryFn: async () => (await api.get<{ shields: Shield[] }>('/api/shields')).shields,
  });
}

export function useShieldActions() {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const done = () => {
    void queryClient.invalidateQueries({ queryKey: ['shields'] });
    void queryClient.invalidateQueries({ queryKey: ['devices'] });
  };
  const set = useMutation({
    mutationFn: (v: { deviceId: string; reason: string; expiresAt: string }) =>
      api.post<Shield>(`/api/devices/${v.deviceId}/shields`, { reason: v.reason, expiresAt: v.expiresAt }),
    onSuccess: done,
  });
  const lift = useMutation({
    mutationFn: (v: { shieldId: string; reason: string }) =>
      api.post<Shield>(`/api/shields/${v.shieldId}/lift`, { reason: v.reason }),
    onSuccess: done,
  });
  return { set, lift };
}

export function useDuty() {
  const { api } = useSession();
  return useQuery({
    queryKey: ['duty'],
    queryFn: () => api.get<DutyView>('/api/duty', { limit: 200 }),
    refetchInterval: 15_000,
  });
}

export function useDutyAction() {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (a: { path: 'start' | 'end' | 'entries' | 'handover'; body: Record<string, string> }) =>
      api.post<DutyEntry>(`/api/duty/${a.path}`, a.body),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['duty'] }),
  });
}

export function useMaintenanceDue() {
  const { api } = useSession();
  return useQuery({
    queryKey: ['maintenance-due'],
    queryFn: () => api.get<MaintenanceDue>('/api/maintenance/due', { limit: 200 }),
  });
}

export function useOperatorAlerts() {
  const { api } = useSession();
  return useQuery({
    queryKey: ['operator-alerts'],
    queryFn: async () => (await api.get<{ alerts: OperatorAlert[] }>('/api/operator-alerts', { limit: 20 })).alerts,
  });
}
