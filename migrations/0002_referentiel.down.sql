DROP TABLE referentiel_items, referentiel_chapitres, referentiel_groupes, referentiel_ressources,
    referentiel_realisations, referentiel_fonctions, referentiel_caracteristiques,
    referentiel_volets, referentiel_niveaux, referentiels;
