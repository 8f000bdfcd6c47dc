-- The labelling audit (issue 13, DESIGN.md §4): auditors' qualification, the
-- audit of a dossier by a pair, its sample of sites drawn from a stored seed,
-- the audit rating per item, the verdict per piece of evidence, the findings
-- with the ML's observations and the pair's answers, and the ML's past
-- memberships for the conflict rule. Every tenant table carries the ML
-- (structure_id, from its parent by trigger) under the row-level security of 0009.

-- An auditor's qualification: certified by the certification body, or from the network.
ALTER TABLE users ADD COLUMN qualification_audit text CHECK (qualification_audit IN ('certifie', 'reseau'));

-- The delay the ML has to write its observations on a provisional report.
ALTER TABLE campagnes ADD COLUMN delai_observations int NOT NULL DEFAULT 15 CHECK (delai_observations BETWEEN 1 AND 120);

-- Memberships that ended, for the conflict rule (a membership held once still counts).
CREATE TABLE membership_historique (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    role         text NOT NULL,
    region_id    bigint REFERENCES regions ON DELETE CASCADE,
    structure_id bigint REFERENCES structures ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    ended_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON membership_historique (user_id);
CREATE INDEX ON membership_historique (structure_id);

CREATE FUNCTION cadre_membership_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO membership_historique (user_id, role, region_id, structure_id, created_at)
    VALUES (OLD.user_id, OLD.role, OLD.region_id, OLD.structure_id, OLD.created_at);
    RETURN OLD;
END $$;
CREATE TRIGGER historique AFTER DELETE ON memberships FOR EACH ROW EXECUTE FUNCTION cadre_membership_ended();

-- A dossier the Pôle sends to the audit without an avis régional, with its reason.
CREATE TABLE audit_envois (
    autoevaluation_id bigint PRIMARY KEY REFERENCES autoevaluations ON DELETE CASCADE,
    structure_id      bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    motif             text NOT NULL CHECK (motif <> ''),
    by_user           bigint REFERENCES users ON DELETE SET NULL,
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON audit_envois (structure_id);

-- The audit of one dossier: its kind, its pair, its dates, its state, the draw
-- of its sample (seed, candidates, sites already visited) and its reports.
CREATE TABLE audits (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    autoevaluation_id    bigint NOT NULL UNIQUE REFERENCES autoevaluations ON DELETE CASCADE,
    structure_id         bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    nature               text NOT NULL CHECK (nature IN ('initial', 'suivi', 'renouvellement')),
    auditeur_certifie    bigint NOT NULL REFERENCES users,
    auditeur_reseau      bigint NOT NULL REFERENCES users,
    debut                date NOT NULL,
    fin                  date NOT NULL CHECK (fin >= debut),
    etat                 text NOT NULL DEFAULT 'en_cours' CHECK (etat IN ('en_cours', 'rapport_provisoire', 'rapport_definitif')),
    seed                 bigint NOT NULL,
    candidats            bigint[] NOT NULL,
    visites              bigint[] NOT NULL DEFAULT '{}',
    siege                bigint,
    observations_limite  date,
    observation_generale text NOT NULL DEFAULT '',
    reponse_generale     text NOT NULL DEFAULT '',
    synthese             text NOT NULL DEFAULT '',
    provisoire_at        timestamptz,
    definitif_at         timestamptz,
    -- The evidence as it stood at the final report, per piece: what the frozen dossier shows.
    preuves_figees       jsonb,
    version              int NOT NULL DEFAULT 1,
    created_by           bigint REFERENCES users ON DELETE SET NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (auditeur_certifie <> auditeur_reseau)
);
CREATE INDEX ON audits (structure_id);
CREATE INDEX ON audits (auditeur_certifie);
CREATE INDEX ON audits (auditeur_reseau);

CREATE FUNCTION cadre_structure_of_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.structure_id := (SELECT structure_id FROM audits WHERE id = NEW.audit_id);
    RETURN NEW;
END $$;

-- The sample: each site to visit, the site first drawn in its place, whether
-- the draw chose it at random, and the written justification of a replacement.
CREATE TABLE audit_sites (
    audit_id      bigint NOT NULL REFERENCES audits ON DELETE CASCADE,
    structure_id  bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    rang          int NOT NULL,
    site_id       bigint NOT NULL REFERENCES sites,
    tire_site_id  bigint NOT NULL REFERENCES sites,
    aleatoire     boolean NOT NULL,
    justification text NOT NULL DEFAULT '',
    replaced_by   bigint REFERENCES users ON DELETE SET NULL,
    replaced_at   timestamptz,
    PRIMARY KEY (audit_id, rang),
    UNIQUE (audit_id, site_id)
);
CREATE INDEX ON audit_sites (structure_id);

-- The audit rating of one item, on the référentiel's scale, with its comment.
CREATE TABLE audit_items (
    audit_id     bigint NOT NULL REFERENCES audits ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    item_id      bigint NOT NULL REFERENCES referentiel_items,
    valeur       int,
    commentaire  text NOT NULL DEFAULT '',
    version      int NOT NULL DEFAULT 1,
    updated_by   bigint REFERENCES users ON DELETE SET NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (audit_id, item_id)
);
CREATE INDEX ON audit_items (structure_id);

-- The verdict on one piece of evidence.
CREATE TABLE audit_preuves (
    audit_id     bigint NOT NULL REFERENCES audits ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    preuve_id    bigint NOT NULL REFERENCES preuves ON DELETE CASCADE,
    verdict      text NOT NULL CHECK (verdict IN ('acceptee', 'refusee')),
    motif        text NOT NULL DEFAULT '',
    version      int NOT NULL DEFAULT 1,
    updated_by   bigint REFERENCES users ON DELETE SET NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (audit_id, preuve_id),
    CHECK (verdict = 'acceptee' OR motif <> '')
);
CREATE INDEX ON audit_preuves (structure_id);

-- A finding, linked to items (codes) and to sampled sites, with the ML's
-- observation and the pair's answer.
CREATE TABLE audit_constats (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    audit_id     bigint NOT NULL REFERENCES audits ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    nature       text NOT NULL CHECK (nature IN ('point_fort', 'piste_progres', 'point_vigilance', 'ecart_mineur', 'ecart_majeur')),
    texte        text NOT NULL CHECK (texte <> ''),
    item_codes   text[] NOT NULL DEFAULT '{}',
    site_ids     bigint[] NOT NULL DEFAULT '{}',
    observation  text NOT NULL DEFAULT '',
    reponse      text NOT NULL DEFAULT '',
    by_user      bigint REFERENCES users ON DELETE SET NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON audit_constats (audit_id);
CREATE INDEX ON audit_constats (structure_id);

CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON audit_envois
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON audits
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF audit_id ON audit_sites
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_audit();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF audit_id ON audit_items
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_audit();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF audit_id ON audit_preuves
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_audit();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF audit_id ON audit_constats
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_audit();

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['membership_historique', 'audit_envois', 'audits', 'audit_sites', 'audit_items', 'audit_preuves', 'audit_constats'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (cadre_tenant_visible(structure_id))', t);
    END LOOP;
END $$;

-- The audit's own steps of the démarche (internal/demarche): the assignment
-- of a dossier sent without an avis régional, and the final report.
ALTER TABLE autoevaluation_transitions DROP CONSTRAINT autoevaluation_transitions_action_check;
ALTER TABLE autoevaluation_transitions ADD CONSTRAINT autoevaluation_transitions_action_check
    CHECK (action IN ('soumettre', 'rendre_avis', 'affecter_audit', 'renvoyer', 'rendre_rapport',
                      'transmettre_observations', 'decider', 'affecter_sans_avis', 'emettre_rapport_definitif'));
