DROP TABLE revue_renvoi_items;
DROP TABLE revue_renvois;
DROP TABLE revue_avis;
DROP TABLE revue_items;
