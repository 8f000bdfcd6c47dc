-- The regional review's tables (0010) under the row-level security of 0009:
-- their structure_id comes from the auto-évaluation they concern, whatever the
-- insert says, and only the scope's rows are visible.
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON revue_items
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON revue_avis
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF autoevaluation_id ON revue_renvois
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_autoevaluation();

CREATE FUNCTION cadre_structure_of_renvoi() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.structure_id := (SELECT structure_id FROM revue_renvois WHERE id = NEW.renvoi_id);
    RETURN NEW;
END $$;
CREATE TRIGGER structure_id BEFORE INSERT OR UPDATE OF renvoi_id ON revue_renvoi_items
    FOR EACH ROW EXECUTE FUNCTION cadre_structure_of_renvoi();

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['revue_items', 'revue_avis', 'revue_renvois', 'revue_renvoi_items'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (cadre_tenant_visible(structure_id))', t);
    END LOOP;
END $$;
