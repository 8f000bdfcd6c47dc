-- The référentiels as typed, versioned data. A version is immutable once imported:
-- campaigns pin one, so past answers never change meaning.
CREATE TABLE referentiels (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL CHECK (code <> ''),
    version      text NOT NULL CHECK (version <> ''),
    titre        text NOT NULL CHECK (titre <> ''),
    source       text NOT NULL DEFAULT '',
    non_concerne text NOT NULL CHECK (non_concerne <> ''),
    -- SHA-256 of the parsed content: a changed file under the same version is refused.
    fingerprint  text NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (code, version)
);

CREATE TABLE referentiel_niveaux (
    referentiel_id bigint NOT NULL REFERENCES referentiels ON DELETE CASCADE,
    valeur         int NOT NULL,
    libelle        text NOT NULL CHECK (libelle <> ''),
    PRIMARY KEY (referentiel_id, valeur)
);

CREATE TABLE referentiel_volets (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    referentiel_id bigint NOT NULL REFERENCES referentiels ON DELETE CASCADE,
    code           text NOT NULL,
    type           text NOT NULL CHECK (type IN ('caracteristiques', 'offre', 'engagements', 'chapitres')),
    titre          text NOT NULL,
    position       int NOT NULL,
    UNIQUE (referentiel_id, code),
    UNIQUE (referentiel_id, position)
);

CREATE TABLE referentiel_caracteristiques (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    volet_id bigint NOT NULL REFERENCES referentiel_volets ON DELETE CASCADE,
    code     text NOT NULL,
    texte    text NOT NULL,
    position int NOT NULL,
    UNIQUE (volet_id, code),
    UNIQUE (volet_id, position)
);

CREATE TABLE referentiel_fonctions (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    volet_id bigint NOT NULL REFERENCES referentiel_volets ON DELETE CASCADE,
    code     text NOT NULL,
    titre    text NOT NULL,
    finalite text NOT NULL DEFAULT '',
    position int NOT NULL,
    UNIQUE (volet_id, code),
    UNIQUE (volet_id, position)
);

CREATE TABLE referentiel_realisations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fonction_id bigint NOT NULL REFERENCES referentiel_fonctions ON DELETE CASCADE,
    code        text NOT NULL,
    texte       text NOT NULL,
    position    int NOT NULL,
    UNIQUE (fonction_id, code),
    UNIQUE (fonction_id, position)
);

-- The resource volets of a fonction (RH, partenariat, organisation, financier,
-- réseau régional), each holding its conditions.
CREATE TABLE referentiel_ressources (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fonction_id bigint NOT NULL REFERENCES referentiel_fonctions ON DELETE CASCADE,
    volet       text NOT NULL CHECK (volet IN ('rh', 'partenariat', 'organisation', 'financier', 'reseau_regional')),
    intro       text NOT NULL DEFAULT '',
    position    int NOT NULL,
    UNIQUE (fonction_id, volet)
);

CREATE TABLE referentiel_groupes (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    volet_id bigint NOT NULL REFERENCES referentiel_volets ON DELETE CASCADE,
    code     text NOT NULL,
    titre    text NOT NULL,
    note     text NOT NULL DEFAULT '',
    position int NOT NULL,
    UNIQUE (volet_id, code),
    UNIQUE (volet_id, position)
);

CREATE TABLE referentiel_chapitres (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    volet_id bigint NOT NULL REFERENCES referentiel_volets ON DELETE CASCADE,
    code     text NOT NULL,
    titre    text NOT NULL,
    position int NOT NULL,
    UNIQUE (volet_id, code),
    UNIQUE (volet_id, position)
);

-- The assessable items: modalités (of a caractéristique), critères (of a
-- réalisation or a chapitre), conditions (of a resource volet) and engagements (of a
-- group). Exactly one parent column is set, the one its kind calls for.
CREATE TABLE referentiel_items (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    referentiel_id     bigint NOT NULL REFERENCES referentiels ON DELETE CASCADE,
    code               text NOT NULL CHECK (code <> ''),
    kind               text NOT NULL CHECK (kind IN ('modalite', 'critere', 'condition', 'engagement')),
    texte              text NOT NULL CHECK (texte <> ''),
    precisions         text[] NOT NULL DEFAULT '{}',
    imperatif          boolean NOT NULL DEFAULT false,
    aide               text NOT NULL DEFAULT '',
    preuves            text[] NOT NULL DEFAULT '{}',
    -- Position within the parent, and in the whole document.
    position           int NOT NULL,
    ordre              int NOT NULL,
    -- Accent- and case-folded code, text and précisions, for search.
    recherche          text NOT NULL,
    caracteristique_id bigint REFERENCES referentiel_caracteristiques ON DELETE CASCADE,
    realisation_id     bigint REFERENCES referentiel_realisations ON DELETE CASCADE,
    ressource_id       bigint REFERENCES referentiel_ressources ON DELETE CASCADE,
    groupe_id          bigint REFERENCES referentiel_groupes ON DELETE CASCADE,
    chapitre_id        bigint REFERENCES referentiel_chapitres ON DELETE CASCADE,
    UNIQUE (referentiel_id, code),
    UNIQUE (referentiel_id, ordre),
    CHECK (num_nonnulls(caracteristique_id, realisation_id, ressource_id, groupe_id, chapitre_id) = 1),
    CHECK (kind <> 'modalite' OR caracteristique_id IS NOT NULL),
    CHECK (kind <> 'critere' OR realisation_id IS NOT NULL OR chapitre_id IS NOT NULL),
    CHECK (kind <> 'condition' OR ressource_id IS NOT NULL),
    CHECK (kind <> 'engagement' OR groupe_id IS NOT NULL)
);

CREATE INDEX ON referentiel_items (caracteristique_id);
CREATE INDEX ON referentiel_items (realisation_id);
CREATE INDEX ON referentiel_items (ressource_id);
CREATE INDEX ON referentiel_items (groupe_id);
CREATE INDEX ON referentiel_items (chapitre_id);
