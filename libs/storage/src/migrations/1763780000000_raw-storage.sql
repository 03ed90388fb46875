-- Up Migration
-- Raw, append-only storage of everything devices send (CQC/SC 11002 4.1.3: fire alarms,
-- running states and patrol records can never be modified or deleted).
--
-- Three raw tables share one shape: raw_frames (valid GB/T 26875.3 frames), raw_mqtt (valid MQTT
-- messages) and quarantine (anything refused, with the reason). Each row carries
--   hash = sha256(prev_hash ‖ int64_be(received_at in µs since the Unix epoch) ‖ bytes)
-- chained per (table, device_key) in device_seq order; the first row's prev_hash is 32 zero bytes.
-- `fireiot verify-chain` recomputes the chains.
--
-- Time partitioning: TimescaleDB hypertables (with compression) when the extension is available,
-- PostgreSQL's native monthly range partitions (plus a DEFAULT partition, so no row is ever
-- refused for its time) when it is not.

CREATE TABLE fireiot_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);

-- The application's role: INSERT and SELECT on raw tables, nothing else. Application
-- connections `SET ROLE fireiot_app` right after connecting.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fireiot_app') THEN
    CREATE ROLE fireiot_app NOLOGIN;
  END IF;
  EXECUTE format('GRANT fireiot_app TO %I', current_user);
END $$;
GRANT USAGE ON SCHEMA public TO fireiot_app;

CREATE FUNCTION fireiot_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'fireiot: % on % is forbidden: raw data is append-only (CQC/SC 11002 4.1.3)',
    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

-- Row triggers on a partitioned table are cloned onto every partition; statement-level triggers
-- are not, so fireiot_protect() is also run for each partition. The statement-level trigger
-- refuses UPDATE and DELETE even when they would touch no row, and TRUNCATE.
CREATE FUNCTION fireiot_protect(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = name || '_read_only') THEN
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION fireiot_reject_change()',
      name || '_read_only', tbl);
  END IF;
END $$;

-- Creates the monthly partitions of `parent` from this month to `months_ahead` months ahead.
CREATE FUNCTION fireiot_ensure_partitions(parent text, months_ahead int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  made int := 0;
  part text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = parent) THEN
    RETURN 0; -- a hypertable, or not partitioned
  END IF;
  FOR i IN 0..months_ahead LOOP
    part := parent || '_' || to_char(month, 'YYYYMM');
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent,
        month::timestamp AT TIME ZONE 'UTC', (month + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      PERFORM fireiot_protect(part::regclass);
      made := made + 1;
    END IF;
    month := month + interval '1 month';
  END LOOP;
  RETURN made;
END $$;

CREATE FUNCTION fireiot_create_raw_table(tbl text, extra_columns text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  timescale boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb');
  columns text := format($cols$
    id bigint GENERATED ALWAYS AS IDENTITY,
    device_key text NOT NULL,
    device_seq bigint NOT NULL,
    received_at timestamptz NOT NULL,
    received_mono_ns bigint NOT NULL,
    gateway_id text NOT NULL,
    peer text NOT NULL,
    registered boolean NOT NULL,
    %s,
    bytes bytea NOT NULL,
    prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash bytea NOT NULL CHECK (length(hash) = 32)
  $cols$, extra_columns);
BEGIN
  IF timescale THEN
    EXECUTE format('CREATE TABLE %I (%s)', tbl, columns);
    PERFORM create_hypertable(tbl, 'received_at', chunk_time_interval => interval '7 days');
    EXECUTE format('ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_segmentby = %L, timescaledb.compress_orderby = %L)',
      tbl, 'device_key', 'device_seq');
    PERFORM add_compression_policy(tbl, interval '30 days');
  ELSE
    EXECUTE format('CREATE TABLE %I (%s) PARTITION BY RANGE (received_at)', tbl, columns);
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
    PERFORM fireiot_protect((tbl || '_default')::regclass);
    PERFORM fireiot_ensure_partitions(tbl, 2);
  END IF;
  EXECUTE format('CREATE INDEX %I ON %I (device_key, device_seq)', tbl || '_chain', tbl);
  EXECUTE format('CREATE INDEX %I ON %I (id)', tbl || '_id', tbl);
  EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION fireiot_reject_change()',
    tbl || '_append_only', tbl);
  PERFORM fireiot_protect(tbl::regclass);
  EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', tbl);
  EXECUTE format('GRANT SELECT, INSERT ON %I TO fireiot_app', tbl);
END $$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS timescaledb;
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'timescaledb is available but cannot be created (%); using native partitioning', SQLERRM;
    END;
  END IF;
END $$;

-- Valid GB/T 26875.3 frames, as received (GB/T 26875.3 §6: the whole frame, 0x4040 … 0x2323).
SELECT fireiot_create_raw_table('raw_frames', $c$
    serial integer NOT NULL,
    command smallint NOT NULL,
    adu_type smallint$c$);

-- Valid MQTT messages (topic and payload as received).
SELECT fireiot_create_raw_table('raw_mqtt', $c$
    topic text NOT NULL,
    client_id text NOT NULL$c$);

-- Everything refused: frames that fail to decode, garbage between frames, MQTT payloads that are
-- not JSON or break the schema, publications under another device's id. device_key is the
-- claimed device when one can be read, else `peer:<address>` or `mqtt-client:<id>`.
SELECT fireiot_create_raw_table('quarantine', $c$
    source text NOT NULL CHECK (source IN ('gb26875', 'mqtt')),
    reason_code text NOT NULL,
    reason text NOT NULL,
    topic text$c$);

INSERT INTO fireiot_meta (key, value) VALUES
  ('partitioning', CASE WHEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN 'timescaledb' ELSE 'native' END);

-- Devices the platform knows (provisioned). Data of unknown devices is kept and flagged.
CREATE TABLE devices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  device_key text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('uitd', 'collector')),
  power text NOT NULL DEFAULT 'mains' CHECK (power IN ('mains', 'battery')),
  unit_id uuid,
  -- MQTT collectors: scrypt hash of the device's password (`scrypt$N$r$p$salt$hash`, base64).
  mqtt_secret text,
  created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON devices TO fireiot_app;

-- Every device key ever seen, registered or not, with its last sign of life.
CREATE TABLE device_presence (
  device_key text PRIMARY KEY,
  registered boolean NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  last_peer text NOT NULL,
  last_gateway_id text NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON device_presence TO fireiot_app;

-- Down Migration
-- Raw data is never dropped by a migration.
