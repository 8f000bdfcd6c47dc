-- Every change of a piece's metadata (title, type, dates, sites, link), with
-- what it was and what it became, so that its page shows the history.
CREATE TABLE preuve_modifications (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    preuve_id bigint NOT NULL REFERENCES preuves ON DELETE CASCADE,
    by_user   bigint REFERENCES users ON DELETE SET NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    avant     jsonb NOT NULL,
    apres     jsonb NOT NULL
);
CREATE INDEX ON preuve_modifications (preuve_id, at);
