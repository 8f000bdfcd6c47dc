DELETE FROM autoevaluation_transitions WHERE action IN ('affecter_sans_avis', 'emettre_rapport_definitif');
ALTER TABLE autoevaluation_transitions DROP CONSTRAINT autoevaluation_transitions_action_check;
ALTER TABLE autoevaluation_transitions ADD CONSTRAINT autoevaluation_transitions_action_check
    CHECK (action IN ('soumettre', 'rendre_avis', 'affecter_audit', 'renvoyer', 'rendre_rapport',
                      'transmettre_observations', 'decider'));
DROP TABLE audit_constats, audit_preuves, audit_items, audit_sites, audits, audit_envois;
DROP FUNCTION cadre_structure_of_audit();
DROP TRIGGER historique ON memberships;
DROP FUNCTION cadre_membership_ended();
DROP TABLE membership_historique;
ALTER TABLE campagnes DROP COLUMN delai_observations;
ALTER TABLE users DROP COLUMN qualification_audit;
