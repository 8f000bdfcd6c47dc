-- Row-level security at national scale (issue 15). Until now every row of a
-- tenant table called cadre_tenant_visible(structure_id): a SQL function the
-- planner could not inline (its région subquery), so each row ran it through
-- the function executor, reading three settings and, for a région's scope,
-- querying structures; a région's pages took seconds.
--
-- Now the store expands the scope when it sets it, in the same statement
-- (internal/postgres/store.go, tenant.setSQL):
--   cadre.visible   every Mission Locale the scope sees: cadre.structures plus
--                   the current Missions Locales of cadre.regions, as a bigint
--                   array literal ('{1,2}'); read only under cadre.scope 'tenant'.
-- cadre.scope, cadre.regions and cadre.structures keep their meaning (0009). A
-- transaction that sets cadre.structures or cadre.regions without cadre.visible
-- sees no tenant row: the change fails closed.

-- Whether the scope sees every row (the system, or the national team).
CREATE FUNCTION cadre_scope_all() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('cadre.scope', true), '') IN ('system', 'national')
$$;

-- The Missions Locales a tenant scope sees; none for any other scope.
CREATE FUNCTION cadre_visible_structures() RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN coalesce(current_setting('cadre.scope', true), '') = 'tenant'
                THEN coalesce(nullif(current_setting('cadre.visible', true), ''), '{}')::bigint[]
                ELSE '{}'::bigint[] END
$$;

-- Same name and signature, same answer for a scope set by the store; one
-- expression without a subquery, so the planner inlines it into the policies
-- that call it (those of later migrations): no function call per row.
CREATE OR REPLACE FUNCTION cadre_tenant_visible(sid bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('cadre.scope', true), '') IN ('system', 'national')
        OR (coalesce(current_setting('cadre.scope', true), '') = 'tenant'
            AND sid = ANY (coalesce(nullif(current_setting('cadre.visible', true), ''), '{}')::bigint[]))
$$;

-- The policies written so far (0009, 0012 and whichever migration before this
-- one calls cadre_tenant_visible(structure_id)) take the same test as two
-- uncorrelated scalar subqueries: PostgreSQL runs each once per query (an
-- InitPlan), so a row costs one comparison with a list parsed once.
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT schemaname, tablename, policyname FROM pg_policies
             WHERE schemaname = 'public' AND qual = 'cadre_tenant_visible(structure_id)' AND with_check IS NULL
    LOOP
        EXECUTE format('ALTER POLICY %I ON %I.%I USING ((SELECT cadre_scope_all()) OR structure_id = ANY ((SELECT cadre_visible_structures())::bigint[]))',
            p.policyname, p.schemaname, p.tablename);
    END LOOP;
END $$;

ALTER POLICY tenant ON memberships
    USING ((SELECT cadre_scope_all()) OR structure_id = ANY ((SELECT cadre_visible_structures())::bigint[]) OR cadre_region_visible(region_id));
