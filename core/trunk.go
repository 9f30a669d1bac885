package core

import (
	"context"
	"time"
)

// Trunk is a PIN namespace: the set of phone numbers a carrier routes to us,
// the rooms whose PINs are unique within it, and the language its prompts speak.
// Rooms are spread over trunks so that each namespace stays sparse.
type Trunk struct {
	ID        string
	Name      string
	Numbers   []PhoneNumber
	PINLength int
	Language  string
	Enabled   bool
	Handoff   Handoff
	RoomCount int64 // rooms with a PIN in this trunk
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Handoff is how sipgate puts a caller whose PIN resolved into the LiveKit
// room. It is per trunk because it depends on what the trunk's carrier
// supports.
type Handoff string

const (
	// HandoffBridge: sipgate calls LiveKit itself and relays the media between
	// both calls. It works with every carrier, at the cost of sipgate carrying
	// the audio for the whole call.
	HandoffBridge Handoff = "bridge"
	// HandoffRefer: sipgate asks the carrier to transfer the call to LiveKit
	// (REFER, RFC 3515), which takes sipgate off the media path, and bridges
	// when the carrier refuses. LiveKit then receives the call from the
	// carrier, so the carrier's addresses must be allowed on LiveKit's inbound
	// trunk.
	HandoffRefer Handoff = "refer"
)

// DefaultHandoff is the hand-off of a trunk that names none: bridging needs
// nothing from the carrier.
const DefaultHandoff = HandoffBridge

// Valid reports whether h is one of the hand-off modes.
func (h Handoff) Valid() bool {
	return h == HandoffBridge || h == HandoffRefer
}

// TrunkFilter selects trunks; a nil field matches everything.
type TrunkFilter struct {
	Enabled *bool
}

// Bounds and defaults of a trunk's PIN length. Ten digits keep a namespace of
// a million rooms at one collision per 10,000 assignments.
const (
	MinPINLength     = 4
	MaxPINLength     = 16
	DefaultPINLength = 10
)

// TrunkUpdate holds the fields to change; nil leaves a field as it is.
type TrunkUpdate struct {
	Name      *string
	Numbers   *[]PhoneNumber
	PINLength *int
	Language  *string
	Enabled   *bool
	Handoff   *Handoff
}

// TrunkService stores trunks.
type TrunkService interface {
	// FindTrunks returns the trunks that match filter, ordered by name.
	FindTrunks(ctx context.Context, filter TrunkFilter) ([]*Trunk, error)
	FindTrunkByID(ctx context.Context, id string) (*Trunk, error)
	// FindTrunkByNumber returns the enabled trunk that owns number, or ENOTFOUND.
	FindTrunkByNumber(ctx context.Context, number PhoneNumber) (*Trunk, error)
	// CreateTrunk stores t and fills in its ID and times. A taken name or
	// number → ECONFLICT.
	CreateTrunk(ctx context.Context, t *Trunk) error
	UpdateTrunk(ctx context.Context, id string, upd TrunkUpdate) (*Trunk, error)
}
