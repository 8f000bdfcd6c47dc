-- Back to one audit per dossier: the follow-up audits go.
DELETE FROM audits WHERE nature = 'suivi' AND id NOT IN (SELECT min(id) FROM audits GROUP BY autoevaluation_id);
DROP INDEX audits_autoevaluation;
DROP INDEX audits_un_suivi_ouvert;
DROP INDEX audits_un_par_dossier;
ALTER TABLE audits ADD CONSTRAINT audits_autoevaluation_id_key UNIQUE (autoevaluation_id);
