DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['revue_items', 'revue_avis', 'revue_renvois', 'revue_renvoi_items'] LOOP
        EXECUTE format('DROP POLICY tenant ON %I', t);
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP TRIGGER structure_id ON %I', t);
    END LOOP;
END $$;
DROP FUNCTION cadre_structure_of_renvoi();
