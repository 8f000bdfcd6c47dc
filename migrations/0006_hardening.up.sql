-- Hardening after the probe of the running app (issue 9).

-- Two history rows of one item with the same version mean a lost update: the
-- database refuses them whatever the code does.
DROP INDEX IF EXISTS cotation_historique_autoevaluation_id_item_id_version_idx;
CREATE UNIQUE INDEX cotation_historique_version_key ON cotation_historique (autoevaluation_id, item_id, version);

-- Password-reset requests, counted per address and per client to throttle them.
CREATE TABLE reset_requests (
    email text NOT NULL,
    ip    text NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON reset_requests (email, at);
CREATE INDEX ON reset_requests (ip, at);

-- Content that no version refers to was left by uploads refused before this
-- migration: nobody can reach it.
DELETE FROM preuve_contenus c WHERE NOT EXISTS (SELECT 1 FROM preuve_versions v WHERE v.contenu_id = c.id);
