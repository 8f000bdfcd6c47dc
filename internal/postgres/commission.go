package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/commission"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/revue"
)

var (
	_ commission.Store       = (*Store)(nil)
	_ commission.RappelStore = (*Store)(nil)
)

// The commission's store: sessions (national), their agenda and decisions
// (tenant rows of each ML), labels (the national register, read across
// tenants) and their reminders. The commission is the Pôle's: its reads run
// in the national scope.

// CommissionSessions returns every session, the latest first, with the size of its agenda.
func (s *Store) CommissionSessions(ctx context.Context) (list []commission.Session, err error) {
	defer wrap(&err, "CommissionSessions()")
	return collect(ctx, s, nationalTenant, pgx.RowToStructByName[commission.Session], `
		SELECT x.id, x.date_session AS date, x.membres, (SELECT count(*) FROM commission_dossiers d WHERE d.session_id = x.id)::int AS dossiers
		FROM commission_sessions x ORDER BY x.date_session DESC, x.id DESC`)
}

// CommissionSession returns one session; ENOTFOUND when there is none.
func (s *Store) CommissionSession(ctx context.Context, id int64) (x commission.Session, err error) {
	defer wrap(&err, "CommissionSession(%d)", id)
	x, err = collectOne(ctx, s, nationalTenant, pgx.RowToStructByName[commission.Session], `
		SELECT x.id, x.date_session AS date, x.membres, (SELECT count(*) FROM commission_dossiers d WHERE d.session_id = x.id)::int AS dossiers
		FROM commission_sessions x WHERE x.id = $1`, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, domain.Errorf(domain.ENOTFOUND, "Session introuvable.")
	}
	return x, err
}

// CreateCommissionSession records a new session.
func (s *Store) CreateCommissionSession(ctx context.Context, actor *domain.Actor, x commission.Session) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, "CreateCommissionSession()", func(tx *jtx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO commission_sessions (date_session, membres, created_by) VALUES ($1, $2, $3) RETURNING id`,
			x.Date, x.Membres, actorID(actor)).Scan(&id); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActSessionCreated, ObjectType: "commission_session", ObjectID: journal.ID(id),
			Label: domain.FrenchDate(x.Date), After: journal.JSON(map[string]any{"date": x.Date.Format("2006-01-02"), "membres": x.Membres})})
		return nil
	})
	return id, err
}

const dossierColumns = `a.id AS autoevaluation_id, a.structure_id, s.nom AS structure_nom, s.region_id, c.nom AS campagne_nom, a.etat
	FROM autoevaluations a JOIN structures s ON s.id = a.structure_id JOIN campagnes c ON c.id = a.campagne_id `

// DossiersRapportDefinitif returns the dossiers in state rapport_definitif, by ML.
func (s *Store) DossiersRapportDefinitif(ctx context.Context) (list []commission.Dossier, err error) {
	defer wrap(&err, "DossiersRapportDefinitif()")
	return collect(ctx, s, nationalTenant, pgx.RowToStructByName[commission.Dossier],
		"SELECT "+dossierColumns+"WHERE a.etat = 'rapport_definitif' ORDER BY s.nom, a.id")
}

// Agenda returns the dossiers on a session's agenda, by ML.
func (s *Store) Agenda(ctx context.Context, sessionID int64) (list []commission.Dossier, err error) {
	defer wrap(&err, "Agenda(%d)", sessionID)
	return collect(ctx, s, nationalTenant, pgx.RowToStructByName[commission.Dossier],
		"SELECT "+dossierColumns+"JOIN commission_dossiers d ON d.autoevaluation_id = a.id WHERE d.session_id = $1 ORDER BY s.nom, a.id", sessionID)
}

// AddToAgenda puts a dossier with a rapport définitif on a session's agenda.
func (s *Store) AddToAgenda(ctx context.Context, actor *domain.Actor, sessionID, autoevalID int64) error {
	return s.inTx(ctx, actor, fmt.Sprintf("AddToAgenda(%d, %d)", sessionID, autoevalID), func(tx *jtx) error {
		var etat demarche.Etat
		var structureID int64
		var nom string
		err := tx.QueryRow(ctx, `SELECT a.etat, a.structure_id, s.nom FROM autoevaluations a JOIN structures s ON s.id = a.structure_id
			WHERE a.id = $1 FOR SHARE OF a`, autoevalID).Scan(&etat, &structureID, &nom)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Dossier introuvable.")
		} else if err != nil {
			return err
		}
		if etat != demarche.RapportDefinitif {
			return domain.Errorf(domain.ECONFLICT, "Le dossier de %s est à l'état « %s » : seul un dossier avec un rapport définitif est inscrit à l'ordre du jour.", nom, etat.Label())
		}
		tag, err := tx.Exec(ctx, `INSERT INTO commission_dossiers (session_id, autoevaluation_id, structure_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, sessionID, autoevalID, structureID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return domain.Errorf(domain.ECONFLICT, "Le dossier de %s est déjà à l'ordre du jour de cette session.", nom)
		}
		tx.journal(journal.Entry{Action: journal.ActAgendaAdded, ObjectType: "autoevaluation", ObjectID: journal.ID(autoevalID), Label: nom,
			StructureID: structureID, After: journal.JSON(map[string]any{"session_id": sessionID})})
		return nil
	})
}

const decisionColumns = `d.id, d.session_id, x.date_session AS session_date, d.autoevaluation_id, d.structure_id, d.resultat, d.motifs,
	d.conditions, d.delai, coalesce(d.corrige_id, 0) AS corrige_id,
	coalesce((SELECT c.id FROM commission_decisions c WHERE c.corrige_id = d.id), 0) AS corrigee_par_id,
	coalesce(nullif(u.nom, ''), u.email, '') AS "by", d.at
	FROM commission_decisions d JOIN commission_sessions x ON x.id = d.session_id LEFT JOIN users u ON u.id = d.by_user `

// DecisionsOf returns the decisions on the dossiers, oldest first.
func (s *Store) DecisionsOf(ctx context.Context, autoevalIDs []int64) (list []commission.Decision, err error) {
	defer wrap(&err, "DecisionsOf(%v)", autoevalIDs)
	return collect(ctx, s, nationalTenant, pgx.RowToStructByName[commission.Decision],
		"SELECT "+decisionColumns+"WHERE d.autoevaluation_id = ANY($1) ORDER BY d.at, d.id", nonNilIDs(autoevalIDs))
}

// Decision returns one decision; ENOTFOUND when there is none.
func (s *Store) Decision(ctx context.Context, id int64) (d commission.Decision, err error) {
	defer wrap(&err, "Decision(%d)", id)
	d, err = collectOne(ctx, s, nationalTenant, pgx.RowToStructByName[commission.Decision], "SELECT "+decisionColumns+"WHERE d.id = $1", id)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, domain.Errorf(domain.ENOTFOUND, "Décision introuvable.")
	}
	return d, err
}

// decideTx takes a transition of the Pôle that enters or leaves state
// décidée, as moveTx does, and sets the dossier's decision with its state
// (migration 0004 keeps the two together): resultat, or none when nil.
func decideTx(ctx context.Context, tx pgx.Tx, actor *domain.Actor, structureID, autoevalID int64, t demarche.Transition, commentaire string,
	resultat *commission.Resultat, decide func(demarche.Etat) (demarche.Etat, error)) error {
	etat, err := lockEtat(ctx, tx, structureID, autoevalID, true)
	if err != nil {
		return err
	}
	next, err := decide(etat)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE autoevaluations SET etat = $2, decision = $3, updated_at = now() WHERE id = $1", autoevalID, next, resultat); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO autoevaluation_transitions (autoevaluation_id, action, from_etat, to_etat, by_user, by_role, commentaire)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, autoevalID, t, etat, next, actorID(actor), domain.RolePole, commentaire)
	return err
}

// insertDecisionTx records d and, when label is not nil, its label; and
// queues message for the ML's directors and its région's référents.
func insertDecisionTx(ctx context.Context, tx *jtx, actor *domain.Actor, d commission.Decision, label *commission.Label,
	message func(commission.Destinataire) mail.Message) (int64, error) {
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO commission_decisions (session_id, autoevaluation_id, structure_id, resultat, motifs, conditions, delai, corrige_id, by_user)
		VALUES ($1, $2, 0, $3, $4, $5, $6, nullif($7, 0), $8) RETURNING id`,
		d.SessionID, d.AutoevaluationID, d.Resultat, d.Motifs, d.Conditions, d.Delai, d.CorrigeID, actorID(actor)).Scan(&id); err != nil {
		return 0, err
	}
	var structureID int64
	var nom string
	if err := tx.QueryRow(ctx, `SELECT s.id, s.nom FROM autoevaluations a JOIN structures s ON s.id = a.structure_id WHERE a.id = $1`,
		d.AutoevaluationID).Scan(&structureID, &nom); err != nil {
		return 0, err
	}
	after := map[string]any{"decision_id": id, "session_id": d.SessionID, "resultat": d.Resultat, "motifs": d.Motifs}
	if d.Resultat == commission.Ajourne && d.Delai != nil {
		after["conditions"], after["delai"] = d.Conditions, d.Delai.Format("2006-01-02")
	}
	if d.CorrigeID != 0 {
		after["corrige_id"] = d.CorrigeID
	}
	if label != nil {
		var labelID int64
		if err := tx.QueryRow(ctx, `INSERT INTO labels (structure_id, decision_id, debut, fin) VALUES ($1, $2, $3, $4) RETURNING id`,
			structureID, id, label.Debut, label.Fin).Scan(&labelID); err != nil {
			return 0, err
		}
		after["label"] = map[string]any{"id": labelID, "debut": label.Debut.Format("2006-01-02"), "fin": label.Fin.Format("2006-01-02")}
	}
	act := journal.ActDecision
	if d.CorrigeID != 0 {
		act = journal.ActDecisionCorrigee
	}
	tx.journal(journal.Entry{Action: act, ObjectType: "autoevaluation", ObjectID: journal.ID(d.AutoevaluationID), Label: nom,
		StructureID: structureID, After: journal.JSON(after)})
	return id, notifyTx(ctx, tx, structureID, []string{string(domain.RoleDirecteur), string(domain.RoleReferentARML)},
		func(r revue.Destinataire) mail.Message { return message(commission.Destinataire(r)) })
}

// RecordDecision records a decision on a dossier of its session's agenda and moves the dossier.
func (s *Store) RecordDecision(ctx context.Context, actor *domain.Actor, d commission.Decision, label *commission.Label,
	decide func(demarche.Etat) (demarche.Etat, error), message func(commission.Destinataire) mail.Message) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("RecordDecision(%d, %d)", d.SessionID, d.AutoevaluationID), func(tx *jtx) error {
		var structureID int64
		err := tx.QueryRow(ctx, `SELECT structure_id FROM commission_dossiers WHERE session_id = $1 AND autoevaluation_id = $2`,
			d.SessionID, d.AutoevaluationID).Scan(&structureID)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Ce dossier n'est pas à l'ordre du jour de la session.")
		} else if err != nil {
			return err
		}
		// A re-presented dossier stays on the agenda of the session that
		// adjourned it, as history: it is decided again at a later session.
		var decided bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM commission_decisions WHERE session_id = $1 AND autoevaluation_id = $2)`,
			d.SessionID, d.AutoevaluationID).Scan(&decided); err != nil {
			return err
		}
		if decided {
			return domain.Errorf(domain.ECONFLICT, "Cette session a déjà décidé de ce dossier : inscrivez-le à l'ordre du jour d'une nouvelle session.")
		}
		if err := decideTx(ctx, tx, actor, structureID, d.AutoevaluationID, demarche.Decider, d.Resultat.Label()+" : "+d.Motifs, &d.Resultat, decide); err != nil {
			return err
		}
		id, err = insertDecisionTx(ctx, tx, actor, d, label, message)
		return err
	})
	return id, err
}

// CorrectDecision records d as the correction of d.CorrigeID and moves the label with it.
func (s *Store) CorrectDecision(ctx context.Context, actor *domain.Actor, d commission.Decision, label *commission.Label,
	message func(commission.Destinataire) mail.Message) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("CorrectDecision(%d)", d.CorrigeID), func(tx *jtx) error {
		// The lock on the dossier orders two corrections at once; the unique
		// corrige_id refuses the second.
		var structureID int64
		if err := tx.QueryRow(ctx, `SELECT structure_id FROM autoevaluations WHERE id = $1 FOR UPDATE`, d.AutoevaluationID).Scan(&structureID); err != nil {
			return err
		}
		var corrected bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM commission_decisions WHERE corrige_id = $1)`, d.CorrigeID).Scan(&corrected); err != nil {
			return err
		}
		if corrected {
			return domain.Errorf(domain.ECONFLICT, "Cette décision a déjà été corrigée : corrigez la décision qui la remplace.")
		}
		if _, err := tx.Exec(ctx, `UPDATE labels SET retire_le = current_date WHERE decision_id = $1 AND retire_le IS NULL`, d.CorrigeID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE autoevaluations SET decision = $2, updated_at = now() WHERE id = $1 AND etat = 'decidee'`, d.AutoevaluationID, d.Resultat); err != nil {
			return err
		}
		var err error
		id, err = insertDecisionTx(ctx, tx, actor, d, label, message)
		return err
	})
	return id, err
}

// Representer moves a decided dossier back to rapport_definitif.
func (s *Store) Representer(ctx context.Context, actor *domain.Actor, autoevalID int64, commentaire string,
	decide func(demarche.Etat, commission.Resultat) (demarche.Etat, error)) error {
	return s.inTx(ctx, actor, fmt.Sprintf("Representer(%d)", autoevalID), func(tx *jtx) error {
		var structureID int64
		var nom string
		err := tx.QueryRow(ctx, `SELECT a.structure_id, s.nom FROM autoevaluations a JOIN structures s ON s.id = a.structure_id WHERE a.id = $1`,
			autoevalID).Scan(&structureID, &nom)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Dossier introuvable.")
		} else if err != nil {
			return err
		}
		var standing commission.Resultat
		err = tx.QueryRow(ctx, `SELECT d.resultat FROM commission_decisions d WHERE d.autoevaluation_id = $1
			AND NOT EXISTS (SELECT 1 FROM commission_decisions c WHERE c.corrige_id = d.id) ORDER BY d.at DESC, d.id DESC LIMIT 1`, autoevalID).Scan(&standing)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := decideTx(ctx, tx, actor, structureID, autoevalID, demarche.Representer, commentaire, nil,
			func(e demarche.Etat) (demarche.Etat, error) { return decide(e, standing) }); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActRepresentation, ObjectType: "autoevaluation", ObjectID: journal.ID(autoevalID), Label: nom,
			StructureID: structureID, After: journal.JSON(map[string]any{"commentaire": commentaire, "etat": demarche.RapportDefinitif})})
		return nil
	})
}

// Registre returns every ML (of a région; 0: all) with its latest label, by
// name. The labels table is national (no row-level security): the register
// is the network's public fact.
func (s *Store) Registre(ctx context.Context, regionID int64) (list []commission.Ligne, err error) {
	defer wrap(&err, "Registre(%d)", regionID)
	err = s.query(ctx, nationalTenant, func(rows pgx.Rows) error {
		var l commission.Ligne
		var id, decision, autoeval *int64
		var debut, fin *time.Time
		var retire *time.Time
		_, err := pgx.ForEachRow(rows, []any{&l.StructureID, &l.StructureNom, &l.RegionID, &l.RegionNom, &id, &decision, &autoeval, &debut, &fin, &retire}, func() error {
			row := l
			row.Label = commission.Label{}
			if id != nil {
				row.Label = commission.Label{ID: *id, StructureID: l.StructureID, StructureNom: l.StructureNom, RegionID: l.RegionID, RegionNom: l.RegionNom,
					Debut: *debut, Fin: *fin, RetireLe: retire}
				if decision != nil {
					row.Label.DecisionID = *decision
				}
				if autoeval != nil {
					row.Label.AutoevaluationID = *autoeval
				}
			}
			list = append(list, row)
			return nil
		})
		return err
	}, `SELECT s.id, s.nom, s.region_id, r.nom, l.id, l.decision_id, d.autoevaluation_id, l.debut, l.fin, l.retire_le
		FROM structures s JOIN regions r ON r.id = s.region_id
		LEFT JOIN (SELECT DISTINCT ON (x.structure_id) x.* FROM labels x ORDER BY x.structure_id, x.debut DESC, x.id DESC) l ON l.structure_id = s.id
		LEFT JOIN commission_decisions d ON d.id = l.decision_id
		WHERE $1 = 0 OR s.region_id = $1 ORDER BY s.nom, s.id`, regionID)
	return list, err
}

// SeedLabel records, for demo data, a label older than Cadre (no decision), as actor.
func (s *Store) SeedLabel(ctx context.Context, actor *domain.Actor, structureID int64, debut, fin time.Time) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("SeedLabel(%d)", structureID), func(tx *jtx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO labels (structure_id, debut, fin) VALUES ($1, $2, $3) RETURNING id`, structureID, debut, fin).Scan(&id); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActLabelSeeded, ObjectType: "label", ObjectID: journal.ID(id), StructureID: structureID,
			After: journal.JSON(map[string]any{"debut": debut.Format("2006-01-02"), "fin": fin.Format("2006-01-02")})})
		return nil
	})
	return id, err
}

// SeedEtat moves, for demo data, an auto-évaluation straight to state etat,
// recording the transition as the system's: it stands in for steps another
// feature takes (the audit brings a dossier to rapport définitif).
func (s *Store) SeedEtat(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, t demarche.Transition, etat demarche.Etat) error {
	return s.inTx(ctx, actor, fmt.Sprintf("SeedEtat(%d)", autoevalID), func(tx *jtx) error {
		if err := moveTx(ctx, tx, actor, structureID, autoevalID, t, "", "Données de démonstration",
			func(demarche.Etat) (demarche.Etat, error) { return etat, nil }); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActTransition, ObjectType: "autoevaluation", ObjectID: journal.ID(autoevalID), StructureID: structureID,
			After: journal.JSON(map[string]any{"etat": etat, "action": t})})
		return nil
	})
}

// PendingLabelRappels returns the labels in force ending after today and at
// most months months later, with the reminders already sent.
func (s *Store) PendingLabelRappels(ctx context.Context, today time.Time, months int) (list []commission.Rappel, err error) {
	defer wrap(&err, "PendingLabelRappels(%s)", today.Format("2006-01-02"))
	return collect(ctx, s, systemTenant, pgx.RowToStructByName[commission.Rappel], `
		SELECT l.id AS label_id, l.structure_id, s.nom AS structure_nom, l.fin,
		       coalesce((SELECT array_agg(r.kind ORDER BY r.kind) FROM label_rappels r WHERE r.label_id = l.id), '{}') AS envoyes
		FROM labels l JOIN structures s ON s.id = l.structure_id
		WHERE l.retire_le IS NULL AND l.fin > $1::date AND l.fin <= ($1::date + make_interval(months => $2))::date
		ORDER BY l.fin, l.id`, today, months)
}

// RecordLabelRappel records reminder kind for a label and queues its emails
// to the ML's directors and its région's référents.
func (s *Store) RecordLabelRappel(ctx context.Context, actor *domain.Actor, r commission.Rappel, kind string, message func(commission.Destinataire) mail.Message) (int, error) {
	sent := 0
	err := s.inTx(ctx, actor, fmt.Sprintf("RecordLabelRappel(%d, %s)", r.LabelID, kind), func(tx *jtx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO label_rappels (label_id, structure_id, kind) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING`, r.LabelID, kind)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		rows, _ := tx.Query(ctx, `
			SELECT DISTINCT u.email, u.nom FROM memberships m JOIN users u ON u.id = m.user_id
			JOIN structures s ON s.id = $1
			WHERE u.disabled_at IS NULL AND ((m.role = 'directeur' AND m.structure_id = s.id) OR (m.role = 'referent_arml' AND m.region_id = s.region_id))
			ORDER BY u.email`, r.StructureID)
		list, err := pgx.CollectRows(rows, pgx.RowToStructByName[commission.Destinataire])
		if err != nil {
			return err
		}
		for _, d := range list {
			if err := EnqueueMail(ctx, tx, message(d)); err != nil {
				return err
			}
		}
		sent = len(list)
		tx.journal(journal.Entry{Action: journal.ActLabelRappel, ObjectType: "label", ObjectID: journal.ID(r.LabelID), Label: r.StructureNom,
			StructureID: r.StructureID, After: journal.JSON(map[string]any{"kind": kind, "fin": r.Fin.Format("2006-01-02"), "emails": sent})})
		return nil
	})
	return sent, err
}
