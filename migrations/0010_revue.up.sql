-- The ARML's regional review of a dossier (DESIGN.md §4): an optional avis per
-- item, the avis régional on the whole at each round, and the returns for
-- completion with their reasons. Every table carries the ML (structure_id) so
-- that row-level security can key on it.

-- The référent's avis on one item: an optional rating on the référentiel's
-- scale and a remark. version counts its changes, for optimistic concurrency.
CREATE TABLE revue_items (
    autoevaluation_id bigint NOT NULL REFERENCES autoevaluations ON DELETE CASCADE,
    structure_id      bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    item_id           bigint NOT NULL REFERENCES referentiel_items,
    valeur            int,
    remarque          text NOT NULL DEFAULT '',
    version           int NOT NULL DEFAULT 1,
    updated_by        bigint REFERENCES users ON DELETE SET NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (autoevaluation_id, item_id)
);
CREATE INDEX ON revue_items (structure_id);

-- The avis régional on the whole, one row per round of review.
CREATE TABLE revue_avis (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    autoevaluation_id bigint NOT NULL REFERENCES autoevaluations ON DELETE CASCADE,
    structure_id      bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    points_forts      text NOT NULL,
    axes_progres      text NOT NULL,
    recommandation    text NOT NULL CHECK (recommandation IN ('favorable', 'favorable_reserves', 'defavorable')),
    texte             text NOT NULL DEFAULT '',
    by_user           bigint REFERENCES users ON DELETE SET NULL,
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON revue_avis (autoevaluation_id, at);
CREATE INDEX ON revue_avis (structure_id);

-- A return for completion: the general reason, who and when.
CREATE TABLE revue_renvois (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    autoevaluation_id bigint NOT NULL REFERENCES autoevaluations ON DELETE CASCADE,
    structure_id      bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    motif             text NOT NULL CHECK (motif <> ''),
    by_user           bigint REFERENCES users ON DELETE SET NULL,
    by_role           text NOT NULL,
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON revue_renvois (autoevaluation_id, at);
CREATE INDEX ON revue_renvois (structure_id);

-- The reasons of a return on chosen items.
CREATE TABLE revue_renvoi_items (
    renvoi_id    bigint NOT NULL REFERENCES revue_renvois ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    item_id      bigint NOT NULL REFERENCES referentiel_items,
    motif        text NOT NULL CHECK (motif <> ''),
    PRIMARY KEY (renvoi_id, item_id)
);
CREATE INDEX ON revue_renvoi_items (structure_id);
