-- Row-level security as defence in depth (issue 11): every table holding a Mission
-- Locale's data carries its structure_id and answers only the rows of the tenants
-- the transaction's scope names. The store sets that scope with set_config(…, true)
-- (SET LOCAL) in every transaction:
--   cadre.scope      'system' (background work, sign-in, seed) or 'national' (the Pôle,
--                    the platform admin): every row; 'tenant': the lists below; unset
--                    or anything else: no row at all.
--   cadre.structures the Missions Locales seen, as a bigint array literal ('{1,2}').
--   cadre.regions    the régions seen (their current Missions Locales), same form.
-- Tables of the network directory (regions, structures), of accounts (users,
-- tokens, throttling, sessions, outbox, rgpd_acquittements) and the national
-- référentiels and campaigns are not tenant tables.

-- Whether the row of Mission Locale sid is in the transaction's scope.
CREATE FUNCTION cadre_tenant_visible(sid bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('cadre.scope', true), '') IN ('system', 'national')
        OR (coalesce(current_setting('cadre.scope', true), '') = 'tenant' AND (
               sid = ANY (coalesce(nullif(current_setting('cadre.structures', true), ''), '{}')::bigint[])
            OR sid IN (SELECT s.id FROM structures s
                       WHERE s.region_id = ANY (coalesce(nullif(current_setting('cadre.regions', true), ''), '{}')::bigint[]))))
$$;

-- Whether the région rid is in the transaction's scope (memberships of référents).
CREATE FUNCTION cadre_region_visible(rid bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('cadre.scope', true), '') IN ('system', 'national')
        OR (coalesce(current_setting('cadre.scope', true), '') = 'tenant'
            AND rid = ANY (coalesce(nullif(current_setting('cadre.regions', true), ''), '{}')::bigint[]))
$$;

-- Child rows take their structure_id from their parent, whatever the insert says:
-- the application cannot get it wrong, and a parent outside the scope leaves it
-- NULL, which the NOT NULL constraint refuses.
CREATE FUNCTION cadre_structure_of_autoevaluation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.structure_id := (SELECT structure_id FROM autoevaluations WHERE id = NEW.autoevaluation_id);
    RETURN NEW;
END $$;

CREATE FUNCTION cadre_structure_of_preuve() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.structure_id := (SELECT structure_id FROM preuves WHERE id = NEW.preuve_id);
    RETURN NEW;
END $$;

CREATE FUNCTION cadre_structure_of_contenu() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.structure_id := (SELECT structure_id FROM preuve_contenus WHERE id = NEW.contenu_id);
    RETURN NEW;
END $$;

CREATE FUNCTION cadre_structure_of_membership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.structure_id := (SELECT structure_id FROM memberships WHERE id = NEW.membership_id);
    RETURN NEW;
END $$;

-- structure_id on the child tables, backfilled from their parents.
ALTER TABLE autoevaluation_transitions ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE autoevaluation_transitions t SET structure_id = a.structure_id FROM autoevaluations a WHERE a.id = t.autoevaluation_id;
ALTER TABLE cotations ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE cotations t SET structure_id = a.structure_id FROM autoevaluations a WHERE a.id = t.autoevaluation_id;
ALTER TABLE cotation_historique ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE cotation_historique t SET structure_id = a.structure_id FROM autoevaluations a WHERE a.id = t.autoevaluation_id;
ALTER TABLE membership_sections ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE membership_sections t SET structure_id = m.structure_id FROM memberships m WHERE m.id = t.membership_id;
ALTER TABLE preuve_morceaux ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE preuve_morceaux t SET structure_id = c.structure_id FROM preuve_contenus c WHERE c.id = t.contenu_id;
ALTER TABLE preuve_versions ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE preuve_versions t SET structure_id = p.structure_id FROM preuves p WHERE p.id = t.preuve_id;
ALTER TABLE preuve_sites ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE preuve_sites t SET structure_id = p.structure_id FROM preuves p WHERE p.id = t.preuve_id;
ALTER TABLE preuve_items ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE preuve_items t SET structure_id = p.structure_id FROM preuves p WHERE p.id = t.preuve_id;
ALTER TABLE preuve_statuts ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE preuve_statuts t SET structure_id = p.structure_id FROM preuves p WHERE p.id = t.preuve_id;
ALTER TABLE preuve_telechargements ADD COLUMN structure_id bigint REFERENCES structures ON DELETE CASCADE;
UPDATE preuve_telechargements t SET structure_id = p.structure_id FROM preuves p WHERE p.id = t.preuve_id;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['autoevaluation_transitions', 'cotations', 'cotation_historique', 'membership_sections',
        'preuve_morceaux', 'preuve_versions', 'preuve_sites', 'preuve_items', 'preuve_statuts', 'preuve_telechargements']
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN structure_id SET NOT NULL', t);
        EXECUTE format('CREATE INDEX ON %I (structure_id)', t);
    END LOOP;
END $$;

CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON autoevaluation_transitions
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON cotations
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON cotation_historique
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF membership_id ON membership_sections
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_membership();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF contenu_id ON preuve_morceaux
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_contenu();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF preuve_id ON preuve_versions
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_preuve();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF preuve_id ON preuve_sites
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_preuve();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF preuve_id ON preuve_items
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_preuve();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF preuve_id ON preuve_statuts
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_preuve();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF preuve_id ON preuve_telechargements
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_preuve();

-- The policies. FORCE makes them bind the tables' owner too; only a superuser
-- (or a role with BYPASSRLS, which the application role never has) reads past them.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sites', 'structure_regions', 'campagne_structures', 'autoevaluations',
        'autoevaluation_transitions', 'cotations', 'cotation_historique', 'membership_sections', 'campagne_rappels',
        'preuve_contenus', 'preuve_morceaux', 'preuves', 'preuve_versions', 'preuve_sites', 'preuve_items',
        'preuve_statuts', 'preuve_telechargements']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (cadre_tenant_visible(structure_id))', t);
    END LOOP;
END $$;

-- A membership is seen with its Mission Locale, or its région for a référent;
-- national roles' memberships only by the national and system scopes.
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON memberships
    USING (cadre_tenant_visible(structure_id) OR cadre_region_visible(region_id));
