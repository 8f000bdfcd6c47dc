DROP TABLE reset_requests;
DROP INDEX cotation_historique_version_key;
CREATE INDEX ON cotation_historique (autoevaluation_id, item_id, version);
