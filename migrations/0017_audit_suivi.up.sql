-- The label's follow-up audit (audit de suivi, issue 14 item 4): a dossier
-- keeps one initial or renewal audit, and may have any number of follow-up
-- audits during its label's validity, at most one of them not yet at its
-- rapport définitif.
ALTER TABLE audits DROP CONSTRAINT audits_autoevaluation_id_key;
CREATE UNIQUE INDEX audits_un_par_dossier ON audits (autoevaluation_id) WHERE nature <> 'suivi';
CREATE UNIQUE INDEX audits_un_suivi_ouvert ON audits (autoevaluation_id) WHERE nature = 'suivi' AND etat <> 'rapport_definitif';
CREATE INDEX audits_autoevaluation ON audits (autoevaluation_id);
