-- An action of the plan d'amélioration answers a finding of the ML's own audit:
-- 0013 (the audit) and 0014 (the plan) were written side by side, so the link
-- of plan_actions.constat_id is declared here, on the pair (finding, ML), which
-- keeps an action from answering another ML's finding.
ALTER TABLE audit_constats ADD CONSTRAINT audit_constats_id_structure_key UNIQUE (id, structure_id);
ALTER TABLE plan_actions ADD CONSTRAINT plan_actions_constat_fkey
    FOREIGN KEY (constat_id, structure_id) REFERENCES audit_constats (id, structure_id);
