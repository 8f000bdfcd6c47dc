ALTER POLICY tenant ON memberships
    USING (cadre_tenant_visible(structure_id) OR cadre_region_visible(region_id));

DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT schemaname, tablename, policyname FROM pg_policies
             WHERE schemaname = 'public' AND qual LIKE '%cadre_visible_structures()%'
    LOOP
        EXECUTE format('ALTER POLICY %I ON %I.%I USING (cadre_tenant_visible(structure_id))',
            p.policyname, p.schemaname, p.tablename);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION cadre_tenant_visible(sid bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('cadre.scope', true), '') IN ('system', 'national')
        OR (coalesce(current_setting('cadre.scope', true), '') = 'tenant' AND (
               sid = ANY (coalesce(nullif(current_setting('cadre.structures', true), ''), '{}')::bigint[])
            OR sid IN (SELECT s.id FROM structures s
                       WHERE s.region_id = ANY (coalesce(nullif(current_setting('cadre.regions', true), ''), '{}')::bigint[]))))
$$;

DROP FUNCTION cadre_visible_structures();
DROP FUNCTION cadre_scope_all();
