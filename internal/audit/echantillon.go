package audit

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/unml/cadre/internal/domain"
)

// Sampling of the sites to visit (IAF MD1 practice, issue 13): the initial
// audit visits ⌈√n⌉ of the ML's n sites, a follow-up ⌈0.6·√n⌉, a renewal
// ⌈0.8·√n⌉; at least one, never more than n. The siège is always in the
// sample; every other place is drawn at random from a seed the audit keeps,
// first among the sites no earlier audit of the ML visited, so the draw can
// be replayed and checked. With two places or more, at least half the sample
// is random (more than the 25 % asked); a sample of one site is the siège
// alone when the ML has one.

// facteur is the multiplier of √n for each kind of audit.
func (n Nature) facteur() float64 {
	switch n {
	case Suivi:
		return 0.6
	case Renouvellement:
		return 0.8
	}
	return 1
}

// Regle returns the sampling rule of the kind, as the report prints it.
func (n Nature) Regle() string {
	switch n {
	case Suivi:
		return "⌈0,6 × √n⌉ sites (audit de suivi)"
	case Renouvellement:
		return "⌈0,8 × √n⌉ sites (audit de renouvellement)"
	}
	return "⌈√n⌉ sites (audit initial)"
}

// Taille returns the size of the sample of an audit of kind n over sites sites.
func Taille(n Nature, sites int) int {
	if sites <= 0 {
		return 0
	}
	// The epsilon keeps an exact product (0.6 × √100 = 6) from rounding up.
	k := int(math.Ceil(n.facteur()*math.Sqrt(float64(sites)) - 1e-9))
	return min(max(k, 1), sites)
}

// Tire is one place of a drawn sample: the site, and whether chance chose it.
type Tire struct {
	SiteID    int64
	Aleatoire bool
}

// Tirer draws the sample of an audit of kind n among candidats (the ML's
// sites), with siege (0: none) always in, preferring the sites not in visites,
// from seed. The same arguments always give the same sample.
func Tirer(n Nature, candidats []int64, siege int64, visites []int64, seed int64) []Tire {
	pool := slices.Clone(candidats)
	slices.Sort(pool)
	pool = slices.Compact(pool)
	k := Taille(n, len(pool))
	var out []Tire
	if siege != 0 && slices.Contains(pool, siege) {
		out = append(out, Tire{SiteID: siege})
	}
	var neufs, revus []int64
	for _, id := range pool {
		switch {
		case id == siege:
		case slices.Contains(visites, id):
			revus = append(revus, id)
		default:
			neufs = append(neufs, id)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	rng.Shuffle(len(neufs), func(i, j int) { neufs[i], neufs[j] = neufs[j], neufs[i] })
	rng.Shuffle(len(revus), func(i, j int) { revus[i], revus[j] = revus[j], revus[i] })
	for _, id := range append(neufs, revus...) {
		if len(out) >= k {
			break
		}
		out = append(out, Tire{SiteID: id, Aleatoire: true})
	}
	return out
}

// NewSeed returns a fresh seed for a draw.
func NewSeed() int64 { return rand.Int64N(math.MaxInt64-1) + 1 }

// Verifier replays the draw of audit a from its stored seed and inputs and
// compares it with the sites drawn in sample (before any replacement): nil
// when they match, an ECONFLICT error saying where they differ otherwise.
func Verifier(a Audit, sample []SampledSite) error {
	want := Tirer(a.Nature, a.Candidats, a.Siege, a.Visites, a.Seed)
	if len(want) != len(sample) {
		return domain.Errorf(domain.ECONFLICT, "Le tirage rejoué donne %d sites, l'échantillon en compte %d.", len(want), len(sample))
	}
	for i, t := range want {
		if sample[i].TireID != t.SiteID || sample[i].Aleatoire != t.Aleatoire {
			return domain.Errorf(domain.ECONFLICT, "Le tirage rejoué diffère de l'échantillon au rang %d.", i+1)
		}
	}
	return nil
}
