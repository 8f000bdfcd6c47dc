-- The démarche stores French domain words: the transitions of an
-- auto-évaluation are named by their verb, as its states already are.
UPDATE autoevaluation_transitions SET action = CASE action
    WHEN 'submit' THEN 'soumettre'
    WHEN 'avis' THEN 'rendre_avis'
    WHEN 'assign' THEN 'affecter_audit'
    WHEN 'return' THEN 'renvoyer'
    WHEN 'report' THEN 'rendre_rapport'
    WHEN 'observations' THEN 'transmettre_observations'
    WHEN 'decide' THEN 'decider'
    ELSE action END;

-- From now on the database refuses any other name, as it does for states.
ALTER TABLE autoevaluation_transitions ADD CONSTRAINT autoevaluation_transitions_action_check
    CHECK (action IN ('soumettre', 'rendre_avis', 'affecter_audit', 'renvoyer', 'rendre_rapport',
                      'transmettre_observations', 'decider'));
