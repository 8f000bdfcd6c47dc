package audit

import (
	"slices"
	"testing"
)

func TestTaille(t *testing.T) {
	t.Parallel()
	cases := []struct {
		n                              int
		initial, suivi, renouvellement int
	}{
		{0, 0, 0, 0},
		{1, 1, 1, 1},
		{2, 2, 1, 2},
		{10, 4, 2, 3},
		{40, 7, 4, 6},
		{61, 8, 5, 7},
		{100, 10, 6, 8}, // exact products do not round up
	}
	for _, c := range cases {
		for nature, want := range map[Nature]int{Initial: c.initial, Suivi: c.suivi, Renouvellement: c.renouvellement} {
			if got := Taille(nature, c.n); got != want {
				t.Errorf("Taille(%s, %d) = %d, want %d", nature, c.n, got, want)
			}
		}
	}
}

func sites(n int) (ids []int64, siege int64) {
	for i := range n {
		ids = append(ids, int64(100+i*3))
	}
	return ids, ids[n/2]
}

// TestTirer: for n = 1, 2, 10, 40 and 61 sites and each kind, the draw has the
// rule's size, the siège first, no site twice, only the ML's sites, at least
// 25 % of random places once there are two or more, and the same seed gives
// the same sample while another seed gives another one somewhere.
func TestTirer(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 10, 40, 61} {
		for _, nature := range Natures {
			ids, siege := sites(n)
			differs := false
			for seed := int64(1); seed <= 20; seed++ {
				got := Tirer(nature, ids, siege, nil, seed)
				if len(got) != Taille(nature, n) {
					t.Fatalf("n=%d %s: %d sites, want %d", n, nature, len(got), Taille(nature, n))
				}
				if got[0].SiteID != siege || got[0].Aleatoire {
					t.Errorf("n=%d %s: first place %+v, want the siège %d, not random", n, nature, got[0], siege)
				}
				seen := map[int64]bool{}
				random := 0
				for _, x := range got {
					if seen[x.SiteID] || !slices.Contains(ids, x.SiteID) {
						t.Errorf("n=%d %s seed %d: site %d twice or not the ML's", n, nature, seed, x.SiteID)
					}
					seen[x.SiteID] = true
					if x.Aleatoire {
						random++
					}
				}
				if len(got) >= 2 && random*4 < len(got) {
					t.Errorf("n=%d %s: %d random of %d, want at least 25 %%", n, nature, random, len(got))
				}
				// Shuffled candidates give the same draw: the inputs are a set.
				shuffled := slices.Clone(ids)
				slices.Reverse(shuffled)
				if again := Tirer(nature, shuffled, siege, nil, seed); !slices.Equal(again, got) {
					t.Errorf("n=%d %s seed %d: replay %v, want %v", n, nature, seed, again, got)
				}
				if other := Tirer(nature, ids, siege, nil, seed+1000); !slices.Equal(other, got) {
					differs = true
				}
			}
			if Taille(nature, n) >= 2 && Taille(nature, n) < n && !differs {
				t.Errorf("n=%d %s: twenty seeds all give the same sample", n, nature)
			}
		}
	}
}

// TestTirerPrefersUnvisited: sites no earlier audit visited come first; the
// visited ones only fill what is left.
func TestTirerPrefersUnvisited(t *testing.T) {
	t.Parallel()
	ids, siege := sites(10) // initial: 4 sites, siège + 3
	var visites []int64
	for _, id := range ids {
		if id != siege && len(visites) < 6 {
			visites = append(visites, id)
		}
	}
	// 9 non-siège sites, 6 visited: 3 new ones fill the 3 random places.
	for seed := int64(1); seed < 30; seed++ {
		for _, x := range Tirer(Initial, ids, siege, visites, seed)[1:] {
			if slices.Contains(visites, x.SiteID) {
				t.Fatalf("seed %d: visited site %d drawn while unvisited ones remain", seed, x.SiteID)
			}
		}
	}
	// With 8 visited, 1 new one: it is always in, and 2 visited ones fill the rest.
	visites = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id == siege })[:8]
	got := Tirer(Initial, ids, siege, visites, 7)
	fresh := 0
	for _, x := range got {
		if x.SiteID != siege && !slices.Contains(visites, x.SiteID) {
			fresh++
		}
	}
	if fresh != 1 || len(got) != 4 {
		t.Errorf("got %v: %d unvisited, want the only one", got, fresh)
	}
}

func TestTirerWithoutSiege(t *testing.T) {
	t.Parallel()
	ids, _ := sites(10)
	got := Tirer(Initial, ids, 0, nil, 3)
	if len(got) != 4 {
		t.Fatalf("got %d sites, want 4", len(got))
	}
	for _, x := range got {
		if !x.Aleatoire {
			t.Errorf("without a siège every place is random: %+v", x)
		}
	}
}

// TestVerifier: the stored draw replays; a changed seed, site or flag does not.
func TestVerifier(t *testing.T) {
	t.Parallel()
	ids, siege := sites(40)
	a := Audit{Nature: Renouvellement, Candidats: ids, Siege: siege, Visites: ids[:3], Seed: 42}
	var sample []SampledSite
	for i, x := range Tirer(a.Nature, a.Candidats, a.Siege, a.Visites, a.Seed) {
		sample = append(sample, SampledSite{Rang: i + 1, SiteID: x.SiteID, TireID: x.SiteID, Aleatoire: x.Aleatoire})
	}
	if err := Verifier(a, sample); err != nil {
		t.Fatalf("Verifier of the stored draw: %v", err)
	}
	// A replacement keeps the drawn site: the draw still replays.
	sample[2].SiteID = 999
	if err := Verifier(a, sample); err != nil {
		t.Errorf("Verifier after a replacement: %v", err)
	}
	b := a
	b.Seed = 43
	if Verifier(b, sample) == nil {
		t.Error("another seed replays the same sample")
	}
	sample[1].TireID = ids[0] + ids[1]
	if Verifier(a, sample) == nil {
		t.Error("a tampered drawn site replays")
	}
}
