DROP TABLE audit_constats, audit_preuves, audit_items, audit_sites, audits, audit_envois;
DROP FUNCTION cadre_structure_of_audit();
DROP TRIGGER historique ON memberships;
DROP FUNCTION cadre_membership_ended();
DROP TABLE membership_historique;
ALTER TABLE campagnes DROP COLUMN delai_observations;
ALTER TABLE users DROP COLUMN qualification_audit;
