-- Up Migration
-- The alerts still open, kept by the database as alerts and events are added, so that the
-- consoles can ask for every open alert however old (the alarm board, the unit's page, a shift
-- handover: CQC/SC 11002 5.4.1 b, e) without anti-joining the whole alert history each time.
--
-- An alert is open while it is not suppressed (never sent, nothing to handle), not closed by a
-- person (a `closed` event) and not restored (a `restored` alert naming it): the `state` and
-- `closedAt` of AlertRepository's summaries. This table is a projection, not a record: it is
-- derived from the append-only tables, rebuilt from them here, and written only by the two
-- triggers below (the application may read it, never write it).
CREATE TABLE alerts_open (
  alert_id uuid PRIMARY KEY,
  unit_id uuid,
  received_at timestamptz NOT NULL
);
CREATE INDEX alerts_open_time ON alerts_open (received_at DESC);
-- Every alert passes through this small table (added, then deleted when it closes): vacuum it
-- after a thousand dead rows rather than after a fifth of the table, so reads stay cheap.
ALTER TABLE alerts_open SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                             autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000);

INSERT INTO alerts_open (alert_id, unit_id, received_at)
SELECT a.id, a.unit_id, a.received_at
  FROM alerts a
 WHERE a.suppressed IS NULL
   AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_id = a.id AND e.type = 'closed')
   AND NOT EXISTS (SELECT 1 FROM alerts r WHERE r.restores = a.id);

-- A new alert is open unless suppressed, or already closed or restored (a replay may add the
-- events first); a `restored` alert closes the one it restores.
CREATE FUNCTION fireiot_alerts_open_on_alert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.restores IS NOT NULL THEN
    DELETE FROM alerts_open WHERE alert_id = NEW.restores;
  END IF;
  IF NEW.suppressed IS NULL
     AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_id = NEW.id AND e.type = 'closed')
     AND NOT EXISTS (SELECT 1 FROM alerts r WHERE r.restores = NEW.id) THEN
    INSERT INTO alerts_open (alert_id, unit_id, received_at) VALUES (NEW.id, NEW.unit_id, NEW.received_at)
      ON CONFLICT (alert_id) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER alerts_open_on_alert AFTER INSERT ON alerts
  FOR EACH ROW EXECUTE FUNCTION fireiot_alerts_open_on_alert();

-- A `closed` event closes its alert.
CREATE FUNCTION fireiot_alerts_open_on_close() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM alerts_open WHERE alert_id = NEW.alert_id;
  RETURN NULL;
END $$;
CREATE TRIGGER alerts_open_on_close AFTER INSERT ON alert_events
  FOR EACH ROW WHEN (NEW.type = 'closed') EXECUTE FUNCTION fireiot_alerts_open_on_close();

REVOKE ALL ON alerts_open FROM PUBLIC;
GRANT SELECT ON alerts_open TO fireiot_app;
REVOKE ALL ON FUNCTION fireiot_alerts_open_on_alert() FROM PUBLIC;
REVOKE ALL ON FUNCTION fireiot_alerts_open_on_close() FROM PUBLIC;

-- Down Migration
-- Records are never dropped by a migration.
