-- Up Migration
-- Units, their people and contacts, alert rules, and the alert evidence (CQC/SC 11002 4.3).
--
-- Evidence tables (alerts, alert_events, alert_attempts) are append-only like the raw tables:
-- an alert's lifecycle (raised → notified → confirmed → closed) and every channel attempt are
-- rows added over time, never rows changed. Current state is derived from them.

-- Networked units (联网单位): building owners that receive alerts.
CREATE TABLE units (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- 4.3.4: what the service agreement covers: alert kinds the platform monitors for this unit.
  monitoring_scope text[] NOT NULL DEFAULT ARRAY['fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored']
    CHECK (monitoring_scope <@ ARRAY['fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored']),
  -- Faults and abnormal states: every channel of the first contact at once ('all-channels'),
  -- or the app first, then SMS/voice to contacts in escalation order ('escalate').
  fault_policy text NOT NULL DEFAULT 'all-channels' CHECK (fault_policy IN ('all-channels', 'escalate')),
  -- Nobody confirmed within this time → the next contact is called (null = platform default).
  escalate_after_s integer CHECK (escalate_after_s > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- People who log in: operators (monitoring centre), unit users, auditors.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
  -- scrypt (memory-hard): `scrypt$N$r$p$salt$hash`, base64 parts.
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('operator', 'unit', 'auditor')),
  unit_id uuid REFERENCES units (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'unit') = (unit_id IS NOT NULL))
);

-- Bearer tokens: only their SHA-256 is stored.
CREATE TABLE sessions (
  token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
  user_id uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- A unit's contacts for SMS and voice (4.3.3), in escalation order.
CREATE TABLE contacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  unit_id uuid NOT NULL REFERENCES units (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- E.164
  phone text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  channels text[] NOT NULL CHECK (channels <@ ARRAY['sms', 'voice'] AND cardinality(channels) > 0),
  escalation_order integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_unit ON contacts (unit_id, escalation_order);

-- Per-unit and per-device alert rules: each row is a whole rule (JSON, validated by the
-- application) that replaces the default rule with the same id for that unit or device.
CREATE TABLE alert_rules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit_id uuid REFERENCES units (id),
  device_id uuid REFERENCES devices (id),
  rule_id text NOT NULL,
  rule jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((unit_id IS NULL) <> (device_id IS NULL))
);

-- One row per alert, written once. The id is derived from the alert's source (raw row, object,
-- rule), so replaying a source after a crash finds the same alert instead of raising another.
CREATE TABLE alerts (
  id uuid PRIMARY KEY,
  unit_id uuid,
  device_id uuid,
  device_key text NOT NULL,
  -- The part of the device the alert is about: `sys:1/1/comp:131082`, `uitd`, `sensor`, …
  subject text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored')),
  clause text NOT NULL CHECK (clause IN ('4.3.1', '4.3.2', '4.4.2')),
  -- 4.3.2 a–f, when the alert is one of the kinds the clause names.
  item text CHECK (item IN ('a', 'b', 'c', 'd', 'e', 'f')),
  rule_id text NOT NULL,
  title text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  source_table text NOT NULL,
  source_id bigint NOT NULL,
  -- When the gateway read the data off the socket (the clock the deadline runs from).
  received_at timestamptz NOT NULL,
  classified_at timestamptz NOT NULL,
  deadline_ms integer NOT NULL,
  -- For `restored`: the alert whose condition cleared.
  restores uuid,
  -- Recorded, not sent: 'shielded' (maintenance), 'out-of-scope' (4.3.4), 'no-unit' (unprovisioned device).
  suppressed text CHECK (suppressed IN ('shielded', 'out-of-scope', 'no-unit'))
);
CREATE INDEX alerts_unit_time ON alerts (unit_id, received_at DESC);
CREATE INDEX alerts_time ON alerts (received_at DESC);
CREATE INDEX alerts_source ON alerts (source_table, source_id);
CREATE INDEX alerts_restores ON alerts (restores) WHERE restores IS NOT NULL;

-- The alarm receipt and handling register (5.4.1 e): what happened to an alert, by whom.
CREATE TABLE alert_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id uuid NOT NULL,
  type text NOT NULL CHECK (type IN ('repeated', 'confirmed', 'closed', 'escalated', 'channel-gap')),
  at timestamptz NOT NULL,
  actor uuid,
  note text,
  -- `repeated`: the raw row that repeated it (one event per row, so replays add nothing).
  source_id bigint,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_events_alert ON alert_events (alert_id);
CREATE UNIQUE INDEX alert_events_once ON alert_events (alert_id, type, source_id) WHERE source_id IS NOT NULL;

-- Every channel attempt, one row per status it reached. `attempt_key` is the idempotency key
-- sent to the provider: sha256(alert, channel, recipient, attempt number).
CREATE TABLE alert_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id uuid NOT NULL,
  attempt_key text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('app', 'sms', 'voice')),
  -- contact id (sms, voice) or user id (app); null when the channel has no recipient
  recipient text,
  -- phone number, or the socket.io client
  address text,
  attempt_no integer NOT NULL,
  status text NOT NULL CHECK (status IN (
    'dispatched',      -- handed to the channel
    'accepted',        -- the provider accepted it / the app push was emitted: "sent to the unit"
    'delivered',       -- the provider reported delivery / the app acknowledged it
    'failed',          -- provider error, timeout, undelivered
    'queued',          -- app: nobody online; delivered on reconnect
    'not-configured'   -- the channel is not configured; nothing was sent
  )),
  at timestamptz NOT NULL,
  provider_ref text,
  error text,
  -- accepted: µs from the alert's receive time, and whether the clause's deadline was met
  elapsed_us bigint,
  deadline_met boolean
);
CREATE INDEX alert_attempts_alert ON alert_attempts (alert_id);
CREATE UNIQUE INDEX alert_attempts_once ON alert_attempts (attempt_key, status);
CREATE INDEX alert_attempts_ref ON alert_attempts (provider_ref) WHERE provider_ref IS NOT NULL;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['alerts', 'alert_events', 'alert_attempts'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION fireiot_reject_change()',
      t || '_append_only', t);
    PERFORM fireiot_protect(t::regclass);
    EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    EXECUTE format('GRANT SELECT, INSERT ON %I TO fireiot_app', t);
  END LOOP;
END $$;

-- Where the classification pipeline has got to (embedded mode replays raw rows after it).
CREATE TABLE pipeline_checkpoint (
  name text PRIMARY KEY,
  processed_through timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON units, users, contacts, pipeline_checkpoint TO fireiot_app;
GRANT SELECT, INSERT, DELETE ON sessions TO fireiot_app;
GRANT SELECT, INSERT ON alert_rules, devices TO fireiot_app;

-- Down Migration
-- Evidence is never dropped by a migration.
