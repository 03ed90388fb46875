-- Up Migration
-- Device watchdog and platform self-monitoring (CQC/SC 11002 4.4.1–4.4.4).
--
-- Every record here is append-only like the raw and evidence tables (4.1.3: patrol records
-- must not be modified or deleted): patrols, link losses and restorations, shields, maintenance,
-- capacity samples and operator alerts are rows added over time; current state is derived.

-- Device profiles (4.4.2). Null = the default for the device's kind and power source
-- (libs/events/src/lib/device-profile.ts: heartbeat 60 s, silence 90 s, patrol 30 min for UITDs and mains
-- collectors; 24 h reporting + 1 h grace for battery collectors).
ALTER TABLE devices
  ADD COLUMN heartbeat_s integer CHECK (heartbeat_s BETWEEN 1 AND 86400),
  ADD COLUMN silence_threshold_s integer CHECK (silence_threshold_s BETWEEN 1 AND 90000),
  ADD COLUMN patrol_period_s integer CHECK (patrol_period_s BETWEEN 1 AND 86400),
  ADD COLUMN description text CHECK (length(description) <= 200);
GRANT UPDATE (heartbeat_s, silence_threshold_s, patrol_period_s, description) ON devices TO fireiot_app;
-- A unit's devices (device lists, maintenance due per unit) without a scan of the whole fleet.
CREATE INDEX devices_unit ON devices (unit_id, id);

-- Patrol records (4.1.3, 4.4.2; GB/T 26875.3 type 81 → type 21): one row per status a patrol
-- reached: 'sent' (first transmission), then 'answered', 'missed' (no answer after the
-- standard's retries) or 'aborted' (the connection closed or the platform stopped first).
CREATE TABLE patrol_records (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patrol_id uuid NOT NULL,
  device_key text NOT NULL,
  device_id uuid,
  status text NOT NULL CHECK (status IN ('sent', 'answered', 'missed', 'aborted')),
  at timestamptz NOT NULL,
  serial integer,
  -- transmissions made (1 + retransmissions)
  attempts integer,
  gateway_id text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX patrol_records_device ON patrol_records (device_key, at DESC);
CREATE UNIQUE INDEX patrol_records_once ON patrol_records (patrol_id, status);

-- Device running records (5.4.1 g): a device's link lost or restored, and why. The
-- communication-loss and restored alerts name these rows as their source.
CREATE TABLE device_link_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_key text NOT NULL,
  device_id uuid,
  event text NOT NULL CHECK (event IN ('lost', 'restored')),
  cause text NOT NULL CHECK (cause IN ('disconnected', 'silence', 'patrol-missed', 'heard')),
  -- When the loss became observable (the alert's receive time), or when the device was heard again.
  observable_at timestamptz NOT NULL,
  last_seen_at timestamptz,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX device_link_events_device ON device_link_events (device_key, id DESC);

-- Shields (4.4.4): a device or one of its parts, with reason, who and expiry. Lifting is a row too.
CREATE TABLE shield_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  shield_id uuid NOT NULL,
  event text NOT NULL CHECK (event IN ('shielded', 'lifted')),
  device_id uuid NOT NULL REFERENCES devices (id),
  device_key text NOT NULL,
  -- null = the whole device; else an alert subject (`sys:1/1/comp:131082`, `link`, …)
  subject text CHECK (length(subject) BETWEEN 1 AND 200),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  actor uuid NOT NULL,
  at timestamptz NOT NULL,
  expires_at timestamptz,
  CHECK ((event = 'shielded') = (expires_at IS NOT NULL))
);
CREATE INDEX shield_events_device ON shield_events (device_id, at DESC);
CREATE UNIQUE INDEX shield_events_once ON shield_events (shield_id, event);

-- Maintenance done (4.4.4, Annex A): an item of the plan, on a device or on the platform (null).
CREATE TABLE maintenance_records (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_id text NOT NULL CHECK (length(item_id) BETWEEN 1 AND 80),
  device_id uuid REFERENCES devices (id),
  done_at timestamptz NOT NULL,
  actor uuid NOT NULL,
  note text CHECK (length(note) <= 2000),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maintenance_records_item ON maintenance_records (item_id, device_id, done_at DESC);

-- Storage samples (4.4.3): database size and disk space over time; growth is derived from them.
CREATE TABLE capacity_samples (
  at timestamptz PRIMARY KEY,
  database_bytes bigint NOT NULL,
  disk_free_bytes bigint,
  disk_total_bytes bigint,
  budget_bytes bigint
);

-- Alerts for the monitoring centre's operators, not for a unit: storage headroom under a year
-- (4.4.3), abnormal access (4.4.1), maintenance overdue (4.4.4).
CREATE TABLE operator_alerts (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('capacity', 'abnormal-access', 'maintenance-overdue')),
  clause text NOT NULL CHECK (clause IN ('4.4.1', '4.4.3', '4.4.4')),
  title text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  raised_at timestamptz NOT NULL
);
CREATE INDEX operator_alerts_time ON operator_alerts (raised_at DESC);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['patrol_records', 'device_link_events', 'shield_events', 'maintenance_records',
                           'capacity_samples', 'operator_alerts'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION fireiot_reject_change()',
      t || '_append_only', t);
    PERFORM fireiot_protect(t::regclass);
    EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    EXECUTE format('GRANT SELECT, INSERT ON %I TO fireiot_app', t);
  END LOOP;
END $$;

-- Down Migration
-- Records are never dropped by a migration.
