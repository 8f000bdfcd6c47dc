DROP TABLE campagne_rappels, membership_sections, cotation_historique, cotations,
    autoevaluation_transitions, autoevaluations, campagne_structures, campagnes;
