-- The plan d'amélioration of each Mission Locale, which outlives campaigns, and
-- the national commission's decisions and the labels they give (DESIGN.md §4).
--
-- Row-level security (0009): the plan's tables, the agenda's entries, the
-- decisions and the reminders carry structure_id and answer only the scope's
-- rows. Two tables do not: commission_sessions is national (a date and its
-- members, no ML's data), and labels is the national register, the public
-- fact the network publishes, which every signed-in role reads across the
-- Missions Locales; it names its ML (structure_id) and is listed with the
-- journal as read across tenants (rls_test.go). Only the commission's store
-- writes it, in the transaction of a decision.

-- An action of an ML's plan. constat_id is a finding of the audit (issue 13):
-- no foreign key here, the audit's table comes with its own migration.
CREATE TABLE plan_actions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    structure_id      bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    titre             text NOT NULL CHECK (titre <> ''),
    description       text NOT NULL DEFAULT '',
    origine           text NOT NULL CHECK (origine IN ('autoevaluation', 'avis_regional', 'constat')),
    autoevaluation_id bigint REFERENCES autoevaluations ON DELETE SET NULL,
    constat_id        bigint,
    pilote_id         bigint REFERENCES users ON DELETE SET NULL,
    priorite          text NOT NULL CHECK (priorite IN ('haute', 'moyenne', 'basse')),
    echeance          date NOT NULL,
    statut            text NOT NULL DEFAULT 'a_engager' CHECK (statut IN ('a_engager', 'en_cours', 'realisee', 'abandonnee')),
    preuve_id         bigint REFERENCES preuves ON DELETE SET NULL,
    realisee_le       date,
    motif_abandon     text NOT NULL DEFAULT '',
    version           int NOT NULL DEFAULT 1,
    created_by        bigint REFERENCES users ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (statut <> 'realisee' OR (preuve_id IS NOT NULL AND realisee_le IS NOT NULL)),
    CHECK (statut <> 'abandonnee' OR motif_abandon <> '')
);
CREATE INDEX ON plan_actions (structure_id, echeance);
CREATE INDEX ON plan_actions (constat_id) WHERE constat_id IS NOT NULL;

-- The items an action concerns, by their stable code: the plan outlives the
-- référentiel version of a campaign.
CREATE TABLE plan_action_items (
    action_id    bigint NOT NULL REFERENCES plan_actions ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    item_code    text NOT NULL,
    PRIMARY KEY (action_id, item_code)
);
CREATE INDEX ON plan_action_items (structure_id, item_code);

-- An action's history: its creation, each change of status, each comment.
CREATE TABLE plan_action_historique (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id    bigint NOT NULL REFERENCES plan_actions ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('creation', 'statut', 'commentaire')),
    statut       text NOT NULL DEFAULT '',
    texte        text NOT NULL DEFAULT '',
    by_user      bigint REFERENCES users ON DELETE SET NULL,
    by_role      text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON plan_action_historique (action_id, at);
CREATE INDEX ON plan_action_historique (structure_id);

-- A session of the national commission.
CREATE TABLE commission_sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    date_session date NOT NULL,
    membres      text NOT NULL CHECK (membres <> ''),
    created_by   bigint REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The agenda: the dossiers (auto-évaluations with a rapport définitif) of a session.
CREATE TABLE commission_dossiers (
    session_id        bigint NOT NULL REFERENCES commission_sessions ON DELETE CASCADE,
    autoevaluation_id bigint NOT NULL REFERENCES autoevaluations ON DELETE CASCADE,
    structure_id      bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    added_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, autoevaluation_id)
);
CREATE INDEX ON commission_dossiers (structure_id);

-- A decision, final once recorded: the application role may not change or
-- delete one (the trigger below). A correction is a new decision naming the
-- one it corrects, which can be corrected only once.
CREATE TABLE commission_decisions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id        bigint NOT NULL REFERENCES commission_sessions,
    autoevaluation_id bigint NOT NULL REFERENCES autoevaluations,
    structure_id      bigint NOT NULL REFERENCES structures,
    resultat          text NOT NULL CHECK (resultat IN ('labellise', 'ajourne', 'non_labellise')),
    motifs            text NOT NULL CHECK (motifs <> ''),
    conditions        text NOT NULL DEFAULT '',
    delai             date,
    corrige_id        bigint UNIQUE REFERENCES commission_decisions,
    by_user           bigint REFERENCES users ON DELETE SET NULL,
    at                timestamptz NOT NULL DEFAULT now(),
    CHECK (resultat <> 'ajourne' OR (conditions <> '' AND delai IS NOT NULL))
);
CREATE INDEX ON commission_decisions (autoevaluation_id, at);
CREATE INDEX ON commission_decisions (structure_id);

CREATE FUNCTION cadre_decision_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a commission decision is final: record a correction instead' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER final BEFORE UPDATE OR DELETE ON commission_decisions
    FOR EACH ROW EXECUTE FUNCTION cadre_decision_final();

-- A label: given by a decision (or an older one, recorded without it), from
-- debut to fin; retire_le is set when a correction withdraws it.
CREATE TABLE labels (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    decision_id  bigint UNIQUE REFERENCES commission_decisions,
    debut        date NOT NULL,
    fin          date NOT NULL CHECK (fin > debut),
    retire_le    date,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON labels (structure_id, fin);

-- The expiry reminders sent for a label (M-6, M-3), one of each at most.
CREATE TABLE label_rappels (
    label_id     bigint NOT NULL REFERENCES labels ON DELETE CASCADE,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('M-6', 'M-3')),
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (label_id, kind)
);
CREATE INDEX ON label_rappels (structure_id);

-- Child rows take their ML from their parent, whatever the insert says.
CREATE FUNCTION cadre_structure_of_plan_action() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.structure_id := (SELECT structure_id FROM plan_actions WHERE id = NEW.action_id);
    RETURN NEW;
END $$;
CREATE FUNCTION cadre_structure_of_label() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.structure_id := (SELECT structure_id FROM labels WHERE id = NEW.label_id);
    RETURN NEW;
END $$;
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF action_id ON plan_action_items
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_plan_action();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF action_id ON plan_action_historique
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_plan_action();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON commission_dossiers
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT ON commission_decisions
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF label_id ON label_rappels
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_label();

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['plan_actions', 'plan_action_items', 'plan_action_historique', 'commission_dossiers',
        'commission_decisions', 'label_rappels'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (cadre_tenant_visible(structure_id))', t);
    END LOOP;
END $$;

-- The démarche gains the re-presentation of an adjourned dossier.
ALTER TABLE autoevaluation_transitions DROP CONSTRAINT autoevaluation_transitions_action_check;
ALTER TABLE autoevaluation_transitions ADD CONSTRAINT autoevaluation_transitions_action_check
    CHECK (action IN ('soumettre', 'rendre_avis', 'affecter_audit', 'renvoyer', 'rendre_rapport',
                      'transmettre_observations', 'decider', 'affecter_sans_avis', 'emettre_rapport_definitif',
                      'representer'));
