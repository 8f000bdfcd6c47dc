package preuves

// Service is the only door for changes to the evidence library: it asks the policy
// (domain.Actor.Can), validates, orchestrates and calls the store.
type Service struct {
	store Store
}

// Store is the storage the Service needs; internal/postgres implements it. Each
// method's comment says which coded errors it returns.
type Store interface{}

// NewService returns the rules of the evidence library on store.
func NewService(store Store) *Service {
	return &Service{store: store}
}
