package domain

// Role is what a membership allows; its scope is an ML, a région, or nothing
// (national and platform roles).
type Role string

// The roles of DESIGN.md §2.
const (
	RoleDirecteur    Role = "directeur"
	RoleContributeur Role = "contributeur"
	RoleReferentARML Role = "referent_arml"
	RoleAuditeur     Role = "auditeur"
	RolePole         Role = "pole"
	RoleAdmin        Role = "admin"
)

// Roles lists every role, in display order.
var Roles = []Role{RoleDirecteur, RoleContributeur, RoleReferentARML, RoleAuditeur, RolePole, RoleAdmin}

// Label returns the role's French name, as the interface shows it.
func (r Role) Label() string {
	switch r {
	case RoleDirecteur:
		return "Directeur·rice"
	case RoleContributeur:
		return "Contributeur·rice (référent qualité)"
	case RoleReferentARML:
		return "Référent·e labellisation ARML"
	case RoleAuditeur:
		return "Auditeur·rice"
	case RolePole:
		return "Pôle labellisation UNML"
	case RoleAdmin:
		return "Administrateur·rice plateforme"
	}
	return string(r)
}

// ScopeKind says which scope a role is held on: "structure", "region" or "" (none).
func (r Role) ScopeKind() string {
	switch r {
	case RoleDirecteur, RoleContributeur:
		return "structure"
	case RoleReferentARML:
		return "region"
	}
	return ""
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Membership is one role held by a person on a scope.
type Membership struct {
	ID          int64
	UserID      int64
	Role        Role
	RegionID    int64 // the référent's région
	StructureID int64 // the ML of a directeur or contributeur
	ScopeLabel  string
}

// Scope locates an object on the tenant path national ⊃ région ⊃ ML ⊃ site.
// The zero Scope is a national object.
type Scope struct {
	RegionID    int64
	StructureID int64
}

// Actor is the signed-in person with every membership, loaded once per request.
type Actor struct {
	UserID      int64
	Email       string
	Nom         string
	Memberships []Membership
	// Audits are the audits the person is one of the pair of (auditors only):
	// an auditor reaches an ML's data only through them.
	Audits []AuditAccess
}

// AuditAccess is one audit an auditor is assigned to, and its ML.
type AuditAccess struct {
	AuditID, StructureID int64
}

// Action is something an actor may be allowed to do on a scope.
type Action string

// The actions the policy decides on.
const (
	// ActViewReseau: open the network pages (their lists are filtered by ActViewStructure).
	ActViewReseau Action = "network.view"
	// ActViewRegion: see a région and its Missions Locales.
	ActViewRegion Action = "region.view"
	// ActViewStructure: see a Mission Locale, its sites and its people.
	ActViewStructure Action = "structure.view"
	// ActManageReseau: create, edit and move régions, MLs and sites (the national team).
	ActManageReseau Action = "network.manage"
	// ActManageTeam: invite and remove the contributors of an ML.
	ActManageTeam Action = "team.manage"
	// ActManageRoles: give and remove any role (ARML and UNML roles included).
	ActManageRoles Action = "roles.manage"
	// ActManageAccounts: list accounts, disable and re-enable them.
	ActManageAccounts Action = "accounts.manage"
	// ActReadOutbox: read the email outbox.
	ActReadOutbox Action = "outbox.read"
	// ActManageCampaigns: create and open campaigns (the national team).
	ActManageCampaigns Action = "campaigns.manage"
	// ActViewAutoeval: read an ML's auto-évaluation and its ratings.
	ActViewAutoeval Action = "assessment.view"
	// ActRate: rate the items of an ML's auto-évaluation (sections may restrict it).
	ActRate Action = "assessment.rate"
	// ActSubmit: submit an ML's auto-évaluation, copy the previous answers, assign sections.
	ActSubmit Action = "assessment.submit"
	// ActViewPreuves: see an ML's evidence library (titles, types, attachments).
	ActViewPreuves Action = "evidence.view"
	// ActManagePreuves: add pieces and versions, attach and detach them.
	ActManagePreuves Action = "evidence.manage"
	// ActDownloadPreuve: download an ML's files (see CanDownloadPreuve for the ARML).
	ActDownloadPreuve Action = "evidence.download"
	// ActPreuvesSettings: decide whether the ARML may download the ML's files.
	ActPreuvesSettings Action = "evidence.settings"
	// ActViewRevue: see the regional review of a région's dossiers: pipeline,
	// heat map, per-item avis, the avis régional in progress.
	ActViewRevue Action = "review.view"
	// ActGiveAvis: record per-item avis and render the avis régional (the ARML).
	ActGiveAvis Action = "review.avis"
	// ActReturn: send a submitted dossier back to the ML for completion.
	ActReturn Action = "review.return"
	// ActViewJournal: read an ML's journal (its director, its région's référent, the Pôle).
	ActViewJournal Action = "journal.view"
	// ActViewNationalJournal: read the whole journal (the Pôle, the platform admin).
	ActViewNationalJournal Action = "journal.view_national"
	// ActAssignAudit: the audit queue, the auditors' workload, assigning a pair,
	// sending a dossier to the audit without an avis régional (the Pôle).
	ActAssignAudit Action = "audit.assign"
	// ActViewAudit: see an audit, its sample and its reports (the Pôle, the
	// pair; the ML's director once the provisional report is out: see CanAudit).
	ActViewAudit Action = "audit.view"
	// ActConductAudit: rate, judge evidence, record findings, answer
	// observations and issue the reports (the pair only: see CanAudit).
	ActConductAudit Action = "audit.conduct"
	// ActReplaceSite: replace a sampled site, with a justification (the Pôle, the pair).
	ActReplaceSite Action = "audit.replace_site"
	// ActObserveAudit: write the ML's observations on the provisional report (its director).
	ActObserveAudit Action = "audit.observe"
	// ActViewVerdicts: see the three verdicts of a dossier (the Pôle; the ML's
	// people and its région's référent once the final report is out).
	ActViewVerdicts Action = "audit.verdicts"
	// ActViewPlan: read an ML's plan d'amélioration (its people, its région's référent, the Pôle).
	ActViewPlan Action = "plan.view"
	// ActManagePlan: create actions in an ML's plan and change their status (its director).
	ActManagePlan Action = "plan.manage"
	// ActCommentPlan: comment on an action (the director, the région's référent, the Pôle).
	ActCommentPlan Action = "plan.comment"
	// ActManageCommission: create commission sessions, set their agenda, record
	// decisions and re-present adjourned dossiers (the Pôle).
	ActManageCommission Action = "commission.manage"
	// ActViewRegistre: read the national register of labels (every signed-in role).
	ActViewRegistre Action = "registre.view"
)

// Can answers "may this actor do this action on an object at this scope". It is
// the only place that decides; handlers and services ask it and never compare
// roles themselves.
func (a *Actor) Can(act Action, s Scope) bool {
	if a == nil {
		return false
	}
	for _, m := range a.Memberships {
		if m.allows(act, s) {
			return true
		}
	}
	return false
}

func (m Membership) allows(act Action, s Scope) bool {
	if act == ActViewRegistre {
		// The register of labels is the network's public fact.
		return m.Role.Valid()
	}
	switch m.Role {
	case RolePole:
		// The national team sees and manages the whole network and its people.
		switch act {
		case ActViewReseau, ActViewRegion, ActViewStructure, ActManageReseau, ActManageTeam, ActManageRoles, ActManageAccounts,
			ActManageCampaigns, ActViewAutoeval, ActViewPreuves, ActDownloadPreuve, ActViewRevue, ActReturn,
			ActViewJournal, ActViewNationalJournal, ActViewPlan, ActCommentPlan, ActManageCommission:
			return true
		case ActAssignAudit, ActViewAudit, ActReplaceSite, ActViewVerdicts:
			return true
		}
	case RoleAdmin:
		// Accounts and technical settings; the network read-only.
		switch act {
		case ActViewReseau, ActViewRegion, ActViewStructure, ActManageAccounts, ActReadOutbox, ActViewNationalJournal:
			return true
		}
	case RoleReferentARML:
		switch act {
		case ActViewReseau:
			return true
		case ActViewRegion, ActViewStructure, ActViewAutoeval, ActViewPreuves, ActViewRevue, ActGiveAvis, ActReturn,
			ActViewJournal, ActViewPlan, ActCommentPlan:
			return s.RegionID != 0 && s.RegionID == m.RegionID
		case ActViewVerdicts:
			return s.RegionID != 0 && s.RegionID == m.RegionID
		}
	case RoleDirecteur:
		switch act {
		case ActViewReseau:
			return true
		case ActViewStructure, ActManageTeam, ActViewAutoeval, ActRate, ActSubmit,
			ActViewPreuves, ActManagePreuves, ActDownloadPreuve, ActPreuvesSettings, ActViewJournal,
			ActViewPlan, ActManagePlan, ActCommentPlan:
			return s.StructureID != 0 && s.StructureID == m.StructureID
		case ActViewAudit, ActObserveAudit, ActViewVerdicts:
			return s.StructureID != 0 && s.StructureID == m.StructureID
		}
	case RoleContributeur:
		switch act {
		case ActViewReseau:
			return true
		case ActViewStructure, ActViewAutoeval, ActRate, ActViewPreuves, ActManagePreuves, ActDownloadPreuve, ActViewPlan:
			return s.StructureID != 0 && s.StructureID == m.StructureID
		case ActViewVerdicts:
			return s.StructureID != 0 && s.StructureID == m.StructureID
		}
	case RoleAuditeur:
		// Auditors reach an ML only through an audit they are assigned to: see
		// CanAudit; nothing of the network otherwise.
	}
	return false
}

// CanAudit answers "may this actor do act on audit auditID of the ML at s":
// the policy's answer (Can) for the Pôle and the ML's people, and for an
// auditor, only on an audit of their pair: another auditor is refused, and
// the pages answer 404.
func (a *Actor) CanAudit(act Action, s Scope, auditID int64) bool {
	if a == nil {
		return false
	}
	if act != ActConductAudit && a.Can(act, s) {
		return true
	}
	switch act {
	case ActViewAudit, ActConductAudit, ActReplaceSite, ActDownloadPreuve, ActViewVerdicts:
	default:
		return false
	}
	if !a.HasRole(RoleAuditeur) {
		return false
	}
	for _, x := range a.Audits {
		if x.AuditID == auditID && x.StructureID == s.StructureID && auditID != 0 {
			return true
		}
	}
	return false
}

// CanDownloadPreuve adds the ML's own choice to the policy: its ARML référent
// may download its files only if the ML allows it (DESIGN.md §5).
func (a *Actor) CanDownloadPreuve(s Scope, armlAllowed bool) bool {
	if a.Can(ActDownloadPreuve, s) {
		return true
	}
	if !armlAllowed || a == nil {
		return false
	}
	for _, m := range a.Memberships {
		if m.Role == RoleReferentARML && m.allows(ActViewPreuves, s) {
			return true
		}
	}
	return false
}

// HasRole reports whether the actor holds role r on any scope.
func (a *Actor) HasRole(r Role) bool {
	if a == nil {
		return false
	}
	for _, m := range a.Memberships {
		if m.Role == r {
			return true
		}
	}
	return false
}

// Visibility is the set of tenants an actor may see for an action, as the store's
// tenant filters take it: everything, or these régions and these MLs.
type Visibility struct {
	All          bool
	RegionIDs    []int64
	StructureIDs []int64
}

// Visible returns what the actor may see of the network for act (ActViewRegion or
// ActViewStructure), straight from the policy's scopes.
func (a *Actor) Visible(act Action) Visibility {
	var v Visibility
	if a == nil {
		return v
	}
	for _, m := range a.Memberships {
		switch {
		case m.allows(act, Scope{RegionID: -1, StructureID: -1}) && m.Role.ScopeKind() == "":
			v.All = true
		case m.RegionID != 0 && m.allows(act, Scope{RegionID: m.RegionID}):
			v.RegionIDs = append(v.RegionIDs, m.RegionID)
		case m.StructureID != 0 && m.allows(act, Scope{StructureID: m.StructureID}):
			v.StructureIDs = append(v.StructureIDs, m.StructureID)
		}
	}
	return v
}
