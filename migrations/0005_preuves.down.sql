ALTER TABLE structures DROP COLUMN documents_arml;
DROP TABLE rgpd_acquittements, preuve_telechargements, preuve_statuts, preuve_items, preuve_sites,
    preuve_versions, preuves, preuve_morceaux, preuve_contenus;
