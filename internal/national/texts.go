package national

import "github.com/unml/cadre/internal/postgres"

// texts are the French words of the dataset's reviews, audits, plans and
// decisions; the store picks among them by hash.
var texts = postgres.NationalTexts{
	PointsForts: []string{
		"Une offre de service lisible, bien connue des partenaires du territoire.",
		"Un accueil inconditionnel organisé sur tous les sites, avec un référent par antenne.",
		"Un pilotage par indicateurs partagé avec le conseil d'administration.",
		"Des partenariats formalisés et suivis avec les acteurs de l'emploi et de la formation.",
		"Une équipe stable, formée, et des pratiques d'accompagnement harmonisées.",
	},
	AxesProgres: []string{
		"Formaliser le suivi des orientations vers les partenaires.",
		"Harmoniser les pratiques d'accueil entre le siège et les antennes.",
		"Mieux tracer la participation des jeunes à l'évaluation de l'offre.",
		"Structurer la démarche d'amélioration continue autour d'un plan daté.",
		"Renforcer la communication de l'offre de service auprès des employeurs.",
	},
	Remarques: []string{
		"Cotation cohérente avec les preuves déposées.",
		"La preuve citée ne couvre qu'une partie des sites.",
		"Pratique réelle, mais non formalisée : cotation à nuancer.",
		"Cotation jugée optimiste au regard des éléments fournis.",
		"Point fort confirmé lors des échanges avec l'ARML.",
	},
	AuditComments: []string{
		"Constaté sur place : pratique connue et appliquée par les conseillers rencontrés.",
		"Preuves consultées conformes ; mise en œuvre vérifiée au siège et sur une antenne.",
		"Procédure existante mais appliquée inégalement selon les sites visités.",
		"Éléments présentés convaincants, à actualiser lors de la prochaine revue.",
		"Entretiens avec les jeunes et les partenaires concordants.",
	},
	Motifs: []string{
		"Document périmé : la version en vigueur n'a pas été fournie.",
		"Le document ne concerne pas l'élément du référentiel indiqué.",
		"Pièce illisible ou incomplète.",
	},
	// One text per nature of finding, in this order: point_fort,
	// piste_progres, point_vigilance, ecart_mineur, ecart_majeur.
	Constats: []string{
		"L'accueil des jeunes est organisé de façon homogène sur l'ensemble des sites visités.",
		"Le tableau de bord pourrait intégrer le suivi des sorties positives par antenne.",
		"La mise à jour des procédures dépend d'une seule personne : un risque en cas d'absence.",
		"La procédure de suivi des orientations n'est pas appliquée sur tous les sites visités.",
		"Aucune évaluation de la satisfaction des jeunes n'a été conduite depuis trois ans.",
	},
	Observations: []string{
		"La Mission Locale prend acte du constat et a engagé une action corrective.",
		"Nous apportons une précision : la procédure a été diffusée aux antennes en début d'année.",
		"La Mission Locale partage l'analyse et l'inscrit à son plan d'amélioration.",
	},
	Reponses: []string{
		"Le binôme maintient le constat : la diffusion n'a pas pu être vérifiée sur place.",
		"Observation prise en compte ; le constat est maintenu en l'état.",
		"Le binôme prend note de l'action engagée, qui sera vérifiée au prochain audit.",
	},
	Syntheses: []string{
		"La Mission Locale répond aux exigences du référentiel sur l'essentiel ; quelques écarts appellent des actions datées.",
		"Une démarche qualité installée et pilotée ; les pratiques des antennes restent à harmoniser.",
		"Une structure engagée, dont le pilotage gagnera à s'appuyer sur des indicateurs partagés.",
	},
	Actions: []string{
		"Formaliser la procédure d'accueil des antennes",
		"Mettre en place une enquête annuelle de satisfaction des jeunes",
		"Harmoniser le suivi des orientations vers les partenaires",
		"Présenter le tableau de bord au conseil d'administration chaque trimestre",
		"Former les nouveaux conseillers à l'offre de service",
		"Actualiser les conventions de partenariat arrivées à échéance",
		"Désigner un référent qualité dans chaque antenne",
		"Associer les jeunes au bilan annuel de l'offre de service",
		"Diffuser la charte d'accueil sur tous les lieux d'accueil",
		"Tracer les entretiens avec les employeurs partenaires",
	},
	Abandons: []string{
		"Action reprise dans une action plus large du plan.",
		"Le partenaire concerné a cessé son activité sur le territoire.",
	},
	// One text per result, in this order: labellise, ajourne, non_labellise.
	Decisions: []string{
		"Rapport d'audit favorable ; les écarts relevés font l'objet d'actions datées au plan d'amélioration.",
		"Un écart majeur reste à lever avant la labellisation.",
		"Écarts majeurs multiples, sans plan d'amélioration à la hauteur des constats.",
	},
	Conditions: "Lever l'écart majeur relevé par l'audit et en déposer la preuve.",
	Membres:    "Président·e de l'UNML ; représentant·e de l'État (DGEFP) ; deux directeur·rice·s de Mission Locale ; un·e représentant·e des ARML ; l'organisme certificateur",
}
