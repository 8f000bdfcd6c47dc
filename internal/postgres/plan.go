package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/plan"
)

var _ plan.Store = (*Store)(nil)

// The plan d'amélioration's store: actions, their items and history. Every
// table carries structure_id, and every query filters on the ML it is given.

const planColumns = `a.id, a.structure_id, s.nom AS structure_nom, s.region_id, a.titre, a.description,
	coalesce((SELECT array_agg(i.item_code ORDER BY i.item_code) FROM plan_action_items i WHERE i.action_id = a.id), '{}') AS items,
	a.origine, coalesce(a.autoevaluation_id, 0) AS autoevaluation_id, coalesce(a.constat_id, 0) AS constat_id,
	coalesce(a.pilote_id, 0) AS pilote_id, coalesce(nullif(u.nom, ''), u.email, '') AS pilote_nom, a.priorite, a.echeance, a.statut,
	coalesce(a.preuve_id, 0) AS preuve_id, coalesce(p.titre, '') AS preuve_titre, a.realisee_le, a.motif_abandon, a.version, a.created_at
	FROM plan_actions a JOIN structures s ON s.id = a.structure_id LEFT JOIN users u ON u.id = a.pilote_id
	LEFT JOIN preuves p ON p.id = a.preuve_id AND p.structure_id = a.structure_id `

// PlanActions returns the actions of the ML's plan, by due date.
func (s *Store) PlanActions(ctx context.Context, structureID int64) (list []plan.Action, err error) {
	defer wrap(&err, "PlanActions(%d)", structureID)
	return collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[plan.Action],
		"SELECT "+planColumns+"WHERE a.structure_id = $1 ORDER BY a.echeance, a.id", structureID)
}

// PlanActionsOfRegion returns the actions of the plans of a région's MLs, by ML and due date.
func (s *Store) PlanActionsOfRegion(ctx context.Context, regionID int64) (list []plan.Action, err error) {
	defer wrap(&err, "PlanActionsOfRegion(%d)", regionID)
	return collect(ctx, s, regionTenant(regionID), pgx.RowToStructByName[plan.Action],
		"SELECT "+planColumns+"WHERE s.region_id = $1 ORDER BY s.nom, a.echeance, a.id", regionID)
}

// PlanAction returns one action; ENOTFOUND unless v covers its ML.
func (s *Store) PlanAction(ctx context.Context, v domain.Visibility, id int64) (a plan.Action, err error) {
	defer wrap(&err, "PlanAction(%d)", id)
	a, err = collectOne(ctx, s, visibleTenant(v), pgx.RowToStructByName[plan.Action],
		"SELECT "+planColumns+"WHERE a.id = $4 AND "+visibleStructure, append(visArgs(v), id)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, domain.Errorf(domain.ENOTFOUND, "Action introuvable.")
	}
	return a, err
}

// PlanHistorique returns the history of an action of the ML, oldest first.
func (s *Store) PlanHistorique(ctx context.Context, structureID, actionID int64) (list []plan.Evenement, err error) {
	defer wrap(&err, "PlanHistorique(%d)", actionID)
	return collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[plan.Evenement], `
		SELECT h.kind, h.statut, h.texte, coalesce(nullif(u.nom, ''), u.email, '') AS "by", h.by_role AS role, h.at
		FROM plan_action_historique h LEFT JOIN users u ON u.id = h.by_user
		WHERE h.structure_id = $1 AND h.action_id = $2 ORDER BY h.at, h.id`, structureID, actionID)
}

// Pilotes returns the directors and contributors of the ML, by name.
func (s *Store) Pilotes(ctx context.Context, structureID int64) (list []plan.Personne, err error) {
	defer wrap(&err, "Pilotes(%d)", structureID)
	return collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[plan.Personne], `
		SELECT DISTINCT u.id, coalesce(nullif(u.nom, ''), u.email) AS nom FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.structure_id = $1 AND m.role IN ('directeur', 'contributeur') AND u.disabled_at IS NULL ORDER BY 2, 1`, structureID)
}

// PreuveChoix returns the ML's pieces of evidence, by title.
func (s *Store) PreuveChoix(ctx context.Context, structureID int64) (list []plan.Choix, err error) {
	defer wrap(&err, "PreuveChoix(%d)", structureID)
	return collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[plan.Choix],
		`SELECT p.id, p.titre FROM preuves p WHERE p.structure_id = $1 ORDER BY lower(p.titre), p.id`, structureID)
}

// CreatePlanAction records a new action in a.StructureID's plan with its
// items and the first line of its history.
func (s *Store) CreatePlanAction(ctx context.Context, actor *domain.Actor, role domain.Role, a plan.Action) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("CreatePlanAction(%d)", a.StructureID), func(tx *jtx) error {
		fe := domain.FieldErrors{}
		var pilote bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND structure_id = $2
			AND role IN ('directeur', 'contributeur'))`, a.PiloteID, a.StructureID).Scan(&pilote); err != nil {
			return err
		}
		if !pilote {
			fe["pilote"] = "Le·la pilote doit être une personne de la Mission Locale."
		}
		if len(a.Items) > 0 {
			var known []string
			rows, _ := tx.Query(ctx, `SELECT DISTINCT code FROM referentiel_items WHERE code = ANY($1)`, a.Items)
			known, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			if len(known) != len(a.Items) {
				fe["items"] = "Un des éléments indiqués n'existe dans aucun référentiel."
			}
		}
		if a.AutoevaluationID != 0 {
			var mine bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM autoevaluations WHERE id = $1 AND structure_id = $2)`,
				a.AutoevaluationID, a.StructureID).Scan(&mine); err != nil {
				return err
			}
			if !mine {
				fe["origine"] = "Cette auto-évaluation n'est pas celle de la Mission Locale."
			}
		}
		if a.ConstatID != 0 {
			var mine bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_constats WHERE id = $1 AND structure_id = $2)`,
				a.ConstatID, a.StructureID).Scan(&mine); err != nil {
				return err
			}
			if !mine {
				fe["origine"] = "Ce constat n'est pas un constat d'audit de la Mission Locale."
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO plan_actions (structure_id, titre, description, origine, autoevaluation_id, constat_id,
			pilote_id, priorite, echeance, created_by) VALUES ($1, $2, $3, $4, nullif($5, 0), nullif($6, 0), $7, $8, $9, $10) RETURNING id`,
			a.StructureID, a.Titre, a.Description, a.Origine, a.AutoevaluationID, a.ConstatID, a.PiloteID, a.Priorite, a.Echeance,
			actorID(actor)).Scan(&id); err != nil {
			return err
		}
		for _, code := range a.Items {
			if _, err := tx.Exec(ctx, `INSERT INTO plan_action_items (action_id, structure_id, item_code) VALUES ($1, $2, $3)`, id, a.StructureID, code); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plan_action_historique (action_id, structure_id, kind, statut, by_user, by_role)
			VALUES ($1, $2, 'creation', 'a_engager', $3, $4)`, id, a.StructureID, actorID(actor), role); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActPlanAction, ObjectType: "plan_action", ObjectID: journal.ID(id), Label: a.Titre,
			StructureID: a.StructureID, After: journal.JSON(map[string]any{"titre": a.Titre, "items": a.Items, "origine": a.Origine,
				"constat_id": a.ConstatID, "autoevaluation_id": a.AutoevaluationID, "pilote_id": a.PiloteID, "priorite": a.Priorite,
				"echeance": a.Echeance.Format("2006-01-02"), "statut": plan.AEngager})})
		return nil
	})
	return id, err
}

// ChangePlanStatut changes an action's status under a row lock.
func (s *Store) ChangePlanStatut(ctx context.Context, actor *domain.Actor, role domain.Role, structureID, actionID int64, c plan.Changement,
	decide func(plan.Statut) error) error {
	return s.inTx(ctx, actor, fmt.Sprintf("ChangePlanStatut(%d)", actionID), func(tx *jtx) error {
		var cur plan.Statut
		var version int
		var titre string
		err := tx.QueryRow(ctx, `SELECT statut, version, titre FROM plan_actions WHERE id = $1 AND structure_id = $2 FOR UPDATE`,
			actionID, structureID).Scan(&cur, &version, &titre)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Action introuvable.")
		} else if err != nil {
			return err
		}
		if c.BaseVersion != 0 && c.BaseVersion != version {
			return domain.Errorf(domain.ECONFLICT, "Quelqu'un d'autre a modifié cette action depuis le chargement de la page : rien n'a été enregistré. Rechargez la page.")
		}
		if err := decide(cur); err != nil {
			return err
		}
		var preuve *int64
		var realisee any
		motif := ""
		switch c.Statut {
		case plan.Realisee:
			var mine bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM preuves WHERE id = $1 AND structure_id = $2)`, c.PreuveID, structureID).Scan(&mine); err != nil {
				return err
			}
			if !mine {
				return domain.FieldErrors{"preuve": "Choisissez un élément de preuve de la Mission Locale."}.Err()
			}
			preuve, realisee = &c.PreuveID, c.RealiseeLe
		case plan.Abandonnee:
			motif = c.Motif
		}
		if _, err := tx.Exec(ctx, `UPDATE plan_actions SET statut = $2, preuve_id = $3, realisee_le = $4, motif_abandon = $5,
			version = version + 1, updated_at = now() WHERE id = $1`, actionID, c.Statut, preuve, realisee, motif); err != nil {
			return err
		}
		texte := c.Commentaire
		if motif != "" {
			texte = "Motif : " + motif
			if c.Commentaire != "" {
				texte += "\n" + c.Commentaire
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plan_action_historique (action_id, structure_id, kind, statut, texte, by_user, by_role)
			VALUES ($1, $2, 'statut', $3, $4, $5, $6)`, actionID, structureID, c.Statut, texte, actorID(actor), role); err != nil {
			return err
		}
		after := map[string]any{"statut": c.Statut, "commentaire": c.Commentaire}
		if c.Statut == plan.Realisee {
			after["preuve_id"], after["realisee_le"] = c.PreuveID, c.RealiseeLe.Format("2006-01-02")
		}
		if motif != "" {
			after["motif"] = motif
		}
		tx.journal(journal.Entry{Action: journal.ActPlanStatut, ObjectType: "plan_action", ObjectID: journal.ID(actionID), Label: titre,
			StructureID: structureID, Before: journal.JSON(map[string]any{"statut": cur}), After: journal.JSON(after)})
		return nil
	})
}

// CommentPlanAction adds a comment to the history of an action of the ML.
func (s *Store) CommentPlanAction(ctx context.Context, actor *domain.Actor, role domain.Role, structureID, actionID int64, texte string) error {
	return s.inTx(ctx, actor, fmt.Sprintf("CommentPlanAction(%d)", actionID), func(tx *jtx) error {
		var titre string
		err := tx.QueryRow(ctx, `SELECT titre FROM plan_actions WHERE id = $1 AND structure_id = $2`, actionID, structureID).Scan(&titre)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Action introuvable.")
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plan_action_historique (action_id, structure_id, kind, texte, by_user, by_role)
			VALUES ($1, $2, 'commentaire', $3, $4, $5)`, actionID, structureID, texte, actorID(actor), role); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActPlanComment, ObjectType: "plan_action", ObjectID: journal.ID(actionID), Label: titre,
			StructureID: structureID, After: journal.JSON(map[string]any{"commentaire": texte})})
		return nil
	})
}

// Remarque returns the référent's remark on an item of an auto-évaluation of the ML.
func (s *Store) Remarque(ctx context.Context, structureID, autoevalID int64, code string) (text string, err error) {
	defer wrap(&err, "Remarque(%d, %s)", autoevalID, code)
	list, err := collect(ctx, s, structureTenant(structureID), pgx.RowTo[string], `
		SELECT r.remarque FROM revue_items r JOIN referentiel_items i ON i.id = r.item_id
		WHERE r.structure_id = $1 AND r.autoevaluation_id = $2 AND i.code = $3`, structureID, autoevalID, code)
	if err != nil || len(list) == 0 {
		return "", err
	}
	return list[0], nil
}
