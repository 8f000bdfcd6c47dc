-- The journal: one row per change, appended in the transaction of the change and
-- hash-chained (internal/journal). Entries are never changed nor removed: a
-- trigger refuses UPDATE, DELETE and TRUNCATE to every role, the owner
-- included; only a superuser disabling the trigger can rewrite a row, and
-- `cadre journal verify` then names it.
CREATE TABLE journal (
    seq          BIGINT PRIMARY KEY CHECK (seq > 0),
    at           TIMESTAMPTZ NOT NULL,
    actor_id     BIGINT,               -- no foreign key: the journal outlives what it names
    actor_nom    TEXT NOT NULL,
    actor_role   TEXT NOT NULL,
    structure_id BIGINT,
    region_id    BIGINT,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    label        TEXT NOT NULL,
    before       JSON,                 -- JSON, not JSONB: kept byte for byte as hashed
    after        JSON,
    request_id   TEXT NOT NULL,
    prev_hash    BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    hash         BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32)
);
CREATE INDEX journal_structure_idx ON journal (structure_id, seq) WHERE structure_id IS NOT NULL;
CREATE INDEX journal_actor_idx ON journal (actor_id, seq);
CREATE INDEX journal_at_idx ON journal (at);

CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER journal_no_rewrite BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();

-- The application role gets only INSERT and SELECT (granted with the role split);
-- nobody gets the rest through PUBLIC.
REVOKE UPDATE, DELETE, TRUNCATE ON journal FROM PUBLIC;
