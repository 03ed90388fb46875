-- Up Migration
-- The monitoring centre's console (CQC/SC 11002 5.4.1 a, b, e): the alarm handling register's
-- steps and the duty log with shift handovers.
--
-- Both are append-only like the other records (4.1.3): a step taken, a shift started or handed
-- over is a row added; who is on duty and how far an alert's handling got are derived.

-- The alarm handling register (5.4.1 e): besides confirmed and closed, the centre's steps:
-- 'received' (an operator took the alarm in hand), 'verified' (what checking it found),
-- 'notified' (who was told: the unit, the fire brigade). The column's check constraint is the
-- one PostgreSQL named after it in 1763790000000_alerting.sql.
ALTER TABLE alert_events DROP CONSTRAINT alert_events_type_check;
ALTER TABLE alert_events ADD CONSTRAINT alert_events_type_check CHECK (type IN (
  'repeated', 'confirmed', 'closed', 'escalated', 'channel-gap', 'received', 'verified', 'notified'));
-- An alarm is received once (two operators taking it at the same moment: one row, the other is refused).
CREATE UNIQUE INDEX alert_events_received_once ON alert_events (alert_id) WHERE type = 'received';

-- The duty log (5.4.1 a, b): shifts started and ended, entries made during a shift, and
-- handovers: the outgoing operator's shift ends and the incoming one's starts in one row, with
-- the alerts not yet closed at that moment (at most 500, fire alarms first, and how many in all).
CREATE TABLE duty_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The order rows were written in (ties of `at` broken; writes are serialized by the application).
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('start', 'end', 'entry', 'handover')),
  -- Who wrote it; for 'handover', the outgoing operator.
  user_id uuid NOT NULL REFERENCES users (id),
  note text CHECK (length(note) BETWEEN 1 AND 1000),
  -- 'handover': the incoming operator.
  to_user_id uuid REFERENCES users (id),
  -- 'handover': [{ id, kind, title, deviceKey, unitId, receivedAt }] and the count of all open alerts.
  open_alerts jsonb CHECK (jsonb_typeof(open_alerts) = 'array'),
  open_alerts_total integer CHECK (open_alerts_total >= 0),
  CHECK ((kind = 'handover') = (to_user_id IS NOT NULL)),
  CHECK ((kind = 'handover') = (open_alerts IS NOT NULL AND open_alerts_total IS NOT NULL)),
  CHECK (kind IN ('start', 'end') OR note IS NOT NULL),
  CHECK (to_user_id IS DISTINCT FROM user_id)
);
CREATE INDEX duty_log_time ON duty_log (at DESC, seq DESC);
-- An operator's latest start, end or handover (is this operator on duty?), as giver and as taker.
CREATE INDEX duty_log_user ON duty_log (user_id, seq DESC);
CREATE INDEX duty_log_to_user ON duty_log (to_user_id, seq DESC) WHERE to_user_id IS NOT NULL;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['duty_log'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION fireiot_reject_change()',
      t || '_append_only', t);
    PERFORM fireiot_protect(t::regclass);
    EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    EXECUTE format('GRANT SELECT, INSERT ON %I TO fireiot_app', t);
  END LOOP;
END $$;

-- Down Migration
-- Records are never dropped by a migration.
