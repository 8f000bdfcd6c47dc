DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sites', 'structure_regions', 'campagne_structures', 'autoevaluations',
        'autoevaluation_transitions', 'cotations', 'cotation_historique', 'membership_sections', 'campagne_rappels',
        'preuve_contenus', 'preuve_morceaux', 'preuves', 'preuve_versions', 'preuve_sites', 'preuve_items',
        'preuve_statuts', 'preuve_telechargements', 'memberships']
    LOOP
        EXECUTE format('DROP POLICY tenant ON %I', t);
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['autoevaluation_transitions', 'cotations', 'cotation_historique', 'membership_sections',
        'preuve_morceaux', 'preuve_versions', 'preuve_sites', 'preuve_items', 'preuve_statuts', 'preuve_telechargements']
    LOOP
        EXECUTE format('DROP TRIGGER structure_id ON %I', t);
        EXECUTE format('ALTER TABLE %I DROP COLUMN structure_id', t);
    END LOOP;
END $$;

DROP FUNCTION cadre_structure_of_autoevaluation();
DROP FUNCTION cadre_structure_of_preuve();
DROP FUNCTION cadre_structure_of_contenu();
DROP FUNCTION cadre_structure_of_membership();
DROP FUNCTION cadre_region_visible(bigint);
DROP FUNCTION cadre_tenant_visible(bigint);
