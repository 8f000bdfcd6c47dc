DELETE FROM autoevaluation_transitions WHERE action = 'representer';
ALTER TABLE autoevaluation_transitions DROP CONSTRAINT autoevaluation_transitions_action_check;
ALTER TABLE autoevaluation_transitions ADD CONSTRAINT autoevaluation_transitions_action_check
    CHECK (action IN ('soumettre', 'rendre_avis', 'affecter_audit', 'renvoyer', 'rendre_rapport',
                      'transmettre_observations', 'decider', 'affecter_sans_avis', 'emettre_rapport_definitif'));
DROP TABLE label_rappels;
DROP TABLE labels;
DROP TABLE commission_decisions;
DROP TABLE commission_dossiers;
DROP TABLE commission_sessions;
DROP TABLE plan_action_historique;
DROP TABLE plan_action_items;
DROP TABLE plan_actions;
DROP FUNCTION cadre_decision_final();
DROP FUNCTION cadre_structure_of_plan_action();
DROP FUNCTION cadre_structure_of_label();
