-- Every change of a piece's metadata (title, type, dates, sites, link), with
-- what it was and what it became, so that its page shows the history.
-- structure_id is the piece's ML, written by the store, for row-level security.
CREATE TABLE preuve_modifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    preuve_id    bigint NOT NULL REFERENCES preuves ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    by_user      bigint REFERENCES users ON DELETE SET NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    avant        jsonb NOT NULL,
    apres        jsonb NOT NULL
);
CREATE INDEX ON preuve_modifications (preuve_id, at);
CREATE INDEX ON preuve_modifications (structure_id);

-- Where row-level security is installed (0009), the table gets the same tenant
-- policy as the piece's other tables.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'cadre_tenant_visible') THEN
        ALTER TABLE preuve_modifications ENABLE ROW LEVEL SECURITY;
        ALTER TABLE preuve_modifications FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON preuve_modifications USING (cadre_tenant_visible(structure_id));
    END IF;
END $$;
