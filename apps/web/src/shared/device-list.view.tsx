import { FormEvent, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AlertKind, CommunicationState, Device } from '../api/api.model';
import { useMe } from '../auth/session.context';
import { zonedInputToIso } from '../format/time.format';
import { useDevices, useOpenAlerts, useReadings, useShieldActions, useShields, useUnits } from './queries';
import { CommBadge, ErrorNote, KindBadge, Loading, Time, useTimeZone } from './ui';

const STATES: readonly CommunicationState[] = ['online', 'silent', 'lost', 'never-seen'];
/** The open conditions a device row shows (a restoration or a lost link is shown by its state). */
const CONDITIONS: readonly AlertKind[] = ['fire-alarm', 'fault', 'abnormal'];
type OpenConditions = ReadonlyMap<AlertKind, number>;

/**
 * Devices and their states (CQC/SC 11002 4.2 b, 4.3.4, 4.4.2): communication state, last seen,
 * last patrol, shields; a device's latest readings on demand. Operators filter by unit and set or
 * lift shields (4.4.4); a unit user sees only the unit's devices (the platform scopes the list).
 */
export function DeviceListView() {
  const { t } = useTranslation();
  const me = useMe();
  const operator = me.role === 'operator';
  const devices = useDevices();
  const units = useUnits();
  const [search, setSearch] = useState('');
  const [unitId, setUnitId] = useState('');
  const [state, setState] = useState<CommunicationState | ''>('');
  const [open, setOpen] = useState<string | null>(null);
  const [faultyOnly, setFaultyOnly] = useState(false);
  // The same open alerts the board and the unit's page hold (one cache entry), counted per device.
  const alerts = useOpenAlerts();
  const conditions = useMemo(() => {
    const byDevice = new Map<string, Map<AlertKind, number>>();
    for (const a of alerts.data ?? []) {
      if (a.closedAt !== null || a.suppressed !== null || !CONDITIONS.includes(a.kind)) continue;
      const counts = byDevice.get(a.deviceKey) ?? new Map<AlertKind, number>();
      counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
      byDevice.set(a.deviceKey, counts);
    }
    return byDevice;
  }, [alerts.data]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (devices.data ?? []).filter(
      (d) =>
        (unitId === '' || d.unitId === unitId) &&
        (state === '' || d.communication.state === state) &&
        (!faultyOnly || conditions.has(d.deviceKey)) &&
        (needle === '' ||
          [d.address, d.deviceKey, d.description ?? '', d.unit?.name ?? ''].some((s) =>
            s.toLowerCase().includes(needle),
          )),
    );
  }, [devices.data, search, unitId, state, faultyOnly, conditions]);
  return (
    <div className="devices">
      <div className="filters">
        <input
          type="search"
          placeholder={t('devices.search')}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          data-testid="device-search"
        />
        {me.role !== 'unit' && (
          <select value={unitId} onChange={(e) => setUnitId(e.target.value)} data-testid="device-unit-filter">
            <option value="">
              {t('devices.unit')}: {t('board.all')}
            </option>
            {(units.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        )}
        <select
          value={state}
          onChange={(e) => setState(e.target.value as CommunicationState | '')}
          data-testid="device-state-filter"
        >
          <option value="">
            {t('devices.state')}: {t('board.all')}
          </option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {t(`comm.${s}`)}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={faultyOnly} onChange={(e) => setFaultyOnly(e.target.checked)} />{' '}
          {t('devices.withOpenAlerts')}
        </label>
        <span className="muted">{t('devices.count', { count: shown.length })}</span>
      </div>
      <ErrorNote error={devices.error} />
      {devices.isPending ? (
        <Loading />
      ) : (
        <ul className="device-list" data-testid="devices">
          {shown.map((d) => (
            <DeviceRow
              key={d.id}
              device={d}
              conditions={conditions.get(d.deviceKey) ?? null}
              operator={operator}
              open={open === d.id}
              toggle={() => setOpen(open === d.id ? null : d.id)}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function DeviceRow({
  device,
  conditions,
  operator,
  open,
  toggle,
}: {
  device: Device;
  conditions: OpenConditions | null;
  operator: boolean;
  open: boolean;
  toggle: () => void;
}) {
  const { t } = useTranslation();
  return (
    <li
      className={`device comm-${device.communication.state}`}
      data-testid="device-row"
      data-device-key={device.deviceKey}
    >
      <button type="button" className="device-summary" onClick={toggle} aria-expanded={open}>
        <CommBadge state={device.communication.state} />
        <span className="device-name">
          <strong>{device.description ?? device.address}</strong>
          <span className="muted"> {device.deviceKey}</span>
        </span>
        <span className="device-meta">
          {device.unit?.name ?? '—'} · {t(`devices.${device.kind}`)} · {t(`devices.${device.power}`)}
        </span>
        <span className="device-meta">
          {t('devices.lastSeen')}: <Time iso={device.lastSeenAt} />
        </span>
        {[...(conditions ?? [])].map(([kind, count]) => (
          <span key={kind} data-testid="open-condition" data-kind={kind}>
            <KindBadge kind={kind} /> ×{count}
          </span>
        ))}
        {device.activeShields > 0 && (
          <span className="badge shielded" data-testid="shield-badge">
            {t('devices.shieldActive')} ×{device.activeShields}
          </span>
        )}
      </button>
      {open && (
        <div className="device-more">
          <p className="muted">
            {t('devices.patrol')}: {device.lastPatrol ? `${device.lastPatrol.status} ` : '—'}
            {device.lastPatrol && <Time iso={device.lastPatrol.at} />}
          </p>
          <Readings deviceId={device.id} />
          {operator && <Shields device={device} />}
        </div>
      )}
    </li>
  );
}

function Readings({ deviceId }: { deviceId: string }) {
  const { t } = useTranslation();
  const readings = useReadings(deviceId);
  return (
    <div className="readings" data-testid="readings">
      <h3>{t('devices.readings')}</h3>
      <ErrorNote error={readings.error} />
      {readings.data?.length === 0 && <p className="muted">{t('devices.noReadings')}</p>}
      <ul className="plain">
        {(readings.data ?? []).map((r, i) => (
          <li key={`${r.at}-${i}`}>
            <Time iso={r.at} /> · {r.summary}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Shields({ device }: { device: Device }) {
  const { t } = useTranslation();
  const timeZone = useTimeZone();
  const shields = useShields();
  const { set, lift } = useShieldActions();
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [liftReason, setLiftReason] = useState('');
  const active = (shields.data ?? []).filter((s) => s.deviceId === device.id && s.active);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const expiresAt = zonedInputToIso(until, timeZone);
    if (expiresAt === null || reason.trim() === '') return;
    set.mutate({ deviceId: device.id, reason: reason.trim(), expiresAt }, { onSuccess: () => setReason('') });
  };
  return (
    <div className="shields">
      <h3>{t('devices.shields')}</h3>
      <ul className="plain">
        {active.map((s) => (
          <li key={s.shieldId}>
            {s.subject ?? device.deviceKey}: {s.reason} → <Time iso={s.expiresAt} />{' '}
            <input
              placeholder={t('devices.liftReason')}
              data-testid="lift-reason"
              value={liftReason}
              onChange={(e) => setLiftReason(e.target.value)}
            />
            <button
              type="button"
              data-testid="lift-submit"
              disabled={liftReason.trim() === '' || lift.isPending}
              onClick={() =>
                lift.mutate({ shieldId: s.shieldId, reason: liftReason.trim() }, { onSuccess: () => setLiftReason('') })
              }
            >
              {t('devices.lift')}
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={submit}>
        <input
          placeholder={t('devices.shieldReason')}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          required
          maxLength={500}
          data-testid="shield-reason"
        />
        <label>
          {t('devices.shieldUntil')}{' '}
          <input
            type="datetime-local"
            value={until}
            onChange={(e) => setUntil(e.target.value)}
            required
            data-testid="shield-until"
          />
        </label>
        <button type="submit" disabled={set.isPending} data-testid="shield-submit">
          {t('devices.shieldSubmit')}
        </button>
      </form>
      <ErrorNote error={set.error ?? lift.error} />
    </div>
  );
}
