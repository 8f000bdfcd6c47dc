-- Campaigns and the self-assessment: one auto-évaluation per concerned ML and
-- campaign, its ratings with their history, and its transitions.

CREATE TABLE campagnes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nom            text NOT NULL CHECK (nom <> ''),
    referentiel_id bigint NOT NULL REFERENCES referentiels,
    ouverture      date NOT NULL,
    cloture        date NOT NULL CHECK (cloture >= ouverture),
    etat           text NOT NULL DEFAULT 'preparation' CHECK (etat IN ('preparation', 'ouverte', 'close')),
    created_by     bigint REFERENCES users ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    opened_at      timestamptz,
    closed_at      timestamptz
);

-- The MLs a campaign concerns.
CREATE TABLE campagne_structures (
    campagne_id  bigint NOT NULL REFERENCES campagnes ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    PRIMARY KEY (campagne_id, structure_id)
);

CREATE TABLE autoevaluations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campagne_id  bigint NOT NULL REFERENCES campagnes ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    etat         text NOT NULL DEFAULT 'en_cours' CHECK (etat IN ('en_cours', 'soumise', 'avis_rendu', 'en_audit',
                     'rapport_provisoire', 'rapport_definitif', 'decidee')),
    decision     text CHECK (decision IN ('labellise', 'ajourne', 'non_labellise')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campagne_id, structure_id),
    CHECK ((etat = 'decidee') = (decision IS NOT NULL))
);
CREATE INDEX ON autoevaluations (structure_id);

-- Every transition of an auto-évaluation: who, in which role, when, why.
CREATE TABLE autoevaluation_transitions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    autoevaluation_id bigint NOT NULL REFERENCES autoevaluations ON DELETE CASCADE,
    action            text NOT NULL,
    from_etat         text NOT NULL,
    to_etat           text NOT NULL,
    by_user           bigint REFERENCES users ON DELETE SET NULL,
    by_role           text NOT NULL,
    commentaire       text NOT NULL DEFAULT '',
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON autoevaluation_transitions (autoevaluation_id, at);

-- The ML's rating of an item. version counts its changes: a save names the
-- version it started from, and is refused if another one came in between.
CREATE TABLE cotations (
    autoevaluation_id bigint NOT NULL REFERENCES autoevaluations ON DELETE CASCADE,
    item_id           bigint NOT NULL REFERENCES referentiel_items,
    valeur            int,
    non_concerne      boolean NOT NULL DEFAULT false,
    justification     text NOT NULL DEFAULT '',
    commentaire       text NOT NULL DEFAULT '',
    version           int NOT NULL DEFAULT 1,
    updated_by        bigint REFERENCES users ON DELETE SET NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (autoevaluation_id, item_id),
    CHECK (NOT (non_concerne AND valeur IS NOT NULL))
);

-- Every change of a rating or comment: old → new.
CREATE TABLE cotation_historique (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    autoevaluation_id bigint NOT NULL REFERENCES autoevaluations ON DELETE CASCADE,
    item_id           bigint NOT NULL REFERENCES referentiel_items,
    version           int NOT NULL,
    changed_by        bigint REFERENCES users ON DELETE SET NULL,
    changed_at        timestamptz NOT NULL DEFAULT now(),
    old_valeur        int,
    new_valeur        int,
    old_non_concerne  boolean NOT NULL,
    new_non_concerne  boolean NOT NULL,
    old_justification text NOT NULL,
    new_justification text NOT NULL,
    old_commentaire   text NOT NULL,
    new_commentaire   text NOT NULL
);
CREATE INDEX ON cotation_historique (autoevaluation_id, item_id, version);

-- A contributor limited by the director to some sections (fonction or volet
-- codes); no row: every section.
CREATE TABLE membership_sections (
    membership_id bigint NOT NULL REFERENCES memberships ON DELETE CASCADE,
    section       text NOT NULL,
    PRIMARY KEY (membership_id, section)
);

-- Closing reminders sent, so that each goes once even with several servers.
CREATE TABLE campagne_rappels (
    campagne_id  bigint NOT NULL REFERENCES campagnes ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('J-30', 'J-7')),
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campagne_id, structure_id, kind)
);
