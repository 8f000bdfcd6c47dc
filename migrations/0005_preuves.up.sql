-- Evidence (éléments de preuve): a per-ML library of pieces — files, links and
-- documents to consult on site — with versions, attachments to items, review
-- status and download log. File content lives apart from the metadata, in chunks,
-- stored once per ML (by SHA-256).

CREATE TABLE preuve_contenus (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    sha256       bytea NOT NULL CHECK (length(sha256) = 32),
    taille       bigint NOT NULL CHECK (taille >= 0),
    mime         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (structure_id, sha256)
);

CREATE TABLE preuve_morceaux (
    contenu_id bigint NOT NULL REFERENCES preuve_contenus ON DELETE CASCADE,
    seq        int NOT NULL,
    data       bytea NOT NULL,
    PRIMARY KEY (contenu_id, seq)
);

CREATE TABLE preuves (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    structure_id  bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    nature        text NOT NULL CHECK (nature IN ('fichier', 'lien', 'sur_place')),
    titre         text NOT NULL CHECK (titre <> ''),
    type          text NOT NULL CHECK (type IN ('procedure', 'compte_rendu', 'convention_partenariat', 'tableau_de_bord',
                      'enquete_satisfaction', 'support_communication', 'autre')),
    date_document date,
    fin_validite  date,
    url           text CHECK (url ~ '^https?://'),
    statut        text NOT NULL DEFAULT 'deposee' CHECK (statut IN ('deposee', 'acceptee', 'refusee')),
    motif         text NOT NULL DEFAULT '',
    created_by    bigint REFERENCES users ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((nature = 'lien') = (url IS NOT NULL)),
    CHECK (statut <> 'refusee' OR motif <> '')
);
CREATE INDEX ON preuves (structure_id);

-- The file versions of a piece of kind fichier; the highest is current.
CREATE TABLE preuve_versions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    preuve_id  bigint NOT NULL REFERENCES preuves ON DELETE CASCADE,
    version    int NOT NULL,
    contenu_id bigint NOT NULL REFERENCES preuve_contenus,
    nom        text NOT NULL,
    created_by bigint REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (preuve_id, version)
);

CREATE TABLE preuve_sites (
    preuve_id bigint NOT NULL REFERENCES preuves ON DELETE CASCADE,
    site_id   bigint NOT NULL REFERENCES sites ON DELETE CASCADE,
    PRIMARY KEY (preuve_id, site_id)
);

-- A piece supports référentiel items (of any version: it outlives campaigns).
CREATE TABLE preuve_items (
    preuve_id bigint NOT NULL REFERENCES preuves ON DELETE CASCADE,
    item_id   bigint NOT NULL REFERENCES referentiel_items,
    PRIMARY KEY (preuve_id, item_id)
);
CREATE INDEX ON preuve_items (item_id);

CREATE TABLE preuve_statuts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    preuve_id bigint NOT NULL REFERENCES preuves ON DELETE CASCADE,
    statut    text NOT NULL,
    motif     text NOT NULL DEFAULT '',
    by_user   bigint REFERENCES users ON DELETE SET NULL,
    at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE preuve_telechargements (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    preuve_id  bigint NOT NULL REFERENCES preuves ON DELETE CASCADE,
    version_id bigint REFERENCES preuve_versions ON DELETE SET NULL,
    user_id    bigint REFERENCES users ON DELETE SET NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON preuve_telechargements (preuve_id, at);

-- Before a person's first upload, the RGPD warning must be acknowledged.
CREATE TABLE rgpd_acquittements (
    user_id  bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    acquitte timestamptz NOT NULL DEFAULT now()
);

-- Whether the ML lets its ARML référent download its documents.
ALTER TABLE structures ADD COLUMN documents_arml boolean NOT NULL DEFAULT false;
