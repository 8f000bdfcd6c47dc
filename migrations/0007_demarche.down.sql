ALTER TABLE autoevaluation_transitions DROP CONSTRAINT autoevaluation_transitions_action_check;
UPDATE autoevaluation_transitions SET action = CASE action
    WHEN 'soumettre' THEN 'submit'
    WHEN 'rendre_avis' THEN 'avis'
    WHEN 'affecter_audit' THEN 'assign'
    WHEN 'renvoyer' THEN 'return'
    WHEN 'rendre_rapport' THEN 'report'
    WHEN 'transmettre_observations' THEN 'observations'
    WHEN 'decider' THEN 'decide'
    ELSE action END;
