package livekit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/twitchtv/twirp"
	"google.golang.org/protobuf/proto"
)

// How sipgate's calls reach LiveKit rooms (DESIGN.md, call flow step 5).
//
// LiveKit's SIP service hands every INVITE to livekit-server, which picks an
// inbound trunk (by source address and numbers) and then the best dispatch
// rule bound to it (protocol sip.MatchTrunkIter, sip.MatchDispatchRuleIter).
// A Callee rule without prefix or randomisation puts the caller in the room
// named by the Request-URI user (sip.EvaluateDispatchRule), so ONE trunk and
// ONE rule route every call of every room: sipgate dials
// sip:<LiveKit room name>@<LiveKit SIP>. Nothing is provisioned per room,
// which is what lets the design hold for millions of rooms (Meet, by
// contrast, keeps one rule per live room).
const (
	// SIPTrunkMetadata marks the inbound trunk as ours: EnsureSIPRouting
	// only ever touches trunks with our name AND this metadata. Trunk
	// metadata stays in LiveKit; it is not copied to participants.
	SIPTrunkMetadata = "meetline:sipgate"
	// SIPDispatchRuleName names our rule; with the trunk it is bound to, it
	// identifies the rule. The rule carries no metadata and no attributes
	// on purpose: LiveKit copies both into every SIP participant it admits
	// (sip.EvaluateDispatchRule), where a marker would only be noise.
	SIPDispatchRuleName = "meetline-callee"
)

// SIP headers sipgate adds to its INVITE towards LiveKit, and the participant
// attributes LiveKit's SIP service turns them into (trunk
// HeadersToAttributes). The "meet." namespace keeps them apart from
// LiveKit's own "sip." and "lk." attributes; web clients read them to tell a
// phone participant's room, role and call.
const (
	HeaderRoomID = "X-Meet-Room-Id"
	HeaderRole   = "X-Meet-Role"
	HeaderCallID = "X-Meet-Call-Id"

	AttrRoomID = "meet.room_id" // the meetline room's id (the LiveKit room name may differ)
	AttrRole   = "meet.role"    // the caller's role in the room, as the core decided it
	AttrCallID = "meet.call_id" // sipgate's call id, to join logs of both legs
)

// SIPHeadersToAttributes returns the trunk's header → attribute mapping.
func SIPHeadersToAttributes() map[string]string {
	return map[string]string{HeaderRoomID: AttrRoomID, HeaderRole: AttrRole, HeaderCallID: AttrCallID}
}

// SIPRouting is what the core provisions in LiveKit for sipgate.
type SIPRouting struct {
	// TrunkName names our inbound trunk; EnsureSIPRouting finds it by this
	// name (and SIPTrunkMetadata), so two deployments, or two tests, sharing
	// a LiveKit keep apart by using different names.
	TrunkName string
	// AllowedAddresses are sipgate's source IPs or CIDRs: LiveKit matches a
	// call to the trunk only from these (RFC 3261 §18.2.1: the packet's
	// source, not the Via or From host).
	AllowedAddresses []string
	// AllowedNumbers restricts the calling numbers (From user). Empty in
	// production: sipgate forwards any caller. LiveKit refuses a second
	// inbound trunk that has neither Numbers nor AllowedNumbers
	// (sip.ValidateTrunksIter), so tests that share a LiveKit each set a
	// number of their own.
	AllowedNumbers []string
	// AuthUsername and AuthPassword are the digest credentials (RFC 3261
	// §22) LiveKit's SIP service demands of sipgate's INVITEs.
	AuthUsername, AuthPassword string
}

// trunk is the inbound trunk r describes, without id.
func (r SIPRouting) trunk() *livekit.SIPInboundTrunkInfo {
	addrs := slices.Clone(r.AllowedAddresses)
	slices.Sort(addrs)
	nums := slices.Clone(r.AllowedNumbers)
	slices.Sort(nums)
	return &livekit.SIPInboundTrunkInfo{
		Name:                r.TrunkName,
		Metadata:            SIPTrunkMetadata,
		AllowedAddresses:    addrs,
		AllowedNumbers:      nums,
		AuthUsername:        r.AuthUsername,
		AuthPassword:        r.AuthPassword,
		HeadersToAttributes: SIPHeadersToAttributes(),
	}
}

// calleeRule is our open Callee rule bound to trunkID, without id: the room
// is the called user as is, and the caller's number is hidden (LiveKit then
// names the participant "Phone" + its last 4 digits and hashes the identity).
func calleeRule(trunkID string) *livekit.SIPDispatchRuleInfo {
	return &livekit.SIPDispatchRuleInfo{
		Name:            SIPDispatchRuleName,
		TrunkIds:        []string{trunkID},
		HidePhoneNumber: true,
		Rule: &livekit.SIPDispatchRule{Rule: &livekit.SIPDispatchRule_DispatchRuleCallee{
			DispatchRuleCallee: &livekit.SIPDispatchRuleCallee{RoomPrefix: "", Randomize: false},
		}},
	}
}

// ensureAttempts bounds the rounds EnsureSIPRouting makes when another
// replica removes the trunk it had settled on.
const ensureAttempts = 3

// EnsureSIPRouting makes LiveKit hold exactly one inbound trunk named
// r.TrunkName, as r describes it, and exactly one open Callee rule bound to
// it, creating, updating and deleting what is needed; it returns their ids.
// It is idempotent: at each start every core replica calls it, and when
// nothing changed it only lists.
//
// Replicas that start together race. LiveKit validates a new trunk or rule
// against the stored ones and refuses a conflicting second one, but the
// check and the store are not atomic, so two creations can both succeed.
// Every replica therefore lists again after creating and keeps the oldest
// (by CreatedAt when the server sets it, which LiveKit Cloud does and the
// open-source server v1.13 does not; else by the lowest id), deleting the
// others together with their rules: all replicas that see the same
// duplicates keep the same one. A creation refused as a conflict is taken
// as another replica's win when the list then shows our trunk or rule. A
// replica that settled before a late duplicate appeared can return an id
// another replica deletes a moment later, so the ids are for logs; it
// checks once more at the end and starts over when its trunk is gone.
func (c *Client) EnsureSIPRouting(ctx context.Context, r SIPRouting) (trunkID, ruleID string, err error) {
	if r.TrunkName == "" {
		return "", "", errors.New("livekit: SIP routing without a trunk name")
	}
	sc := lksdk.NewSIPClient(c.cfg.URL, c.cfg.APIKey, c.cfg.APISecret)
	for range ensureAttempts {
		trunk, err := ensureTrunk(ctx, sc, r.trunk())
		if err != nil {
			return "", "", err
		}
		rule, err := ensureRule(ctx, sc, trunk.SipTrunkId)
		if err != nil {
			return "", "", err
		}
		ours, err := listTrunks(ctx, sc, r.TrunkName)
		if err != nil {
			return "", "", err
		}
		if slices.ContainsFunc(ours, func(t *livekit.SIPInboundTrunkInfo) bool { return t.SipTrunkId == trunk.SipTrunkId }) {
			return trunk.SipTrunkId, rule.SipDispatchRuleId, nil
		}
	}
	return "", "", fmt.Errorf("livekit: SIP trunk %q keeps changing under us", r.TrunkName)
}

// ensureTrunk returns our trunk as want describes it, after creating it if
// missing, deleting duplicates and updating it if it differs.
func ensureTrunk(ctx context.Context, sc *lksdk.SIPClient, want *livekit.SIPInboundTrunkInfo) (*livekit.SIPInboundTrunkInfo, error) {
	ours, err := listTrunks(ctx, sc, want.Name)
	if err != nil {
		return nil, err
	}
	if len(ours) == 0 {
		_, cerr := sc.CreateSIPInboundTrunk(ctx, &livekit.CreateSIPInboundTrunkRequest{Trunk: proto.CloneOf(want)})
		if ours, err = listTrunks(ctx, sc, want.Name); err != nil {
			return nil, err
		}
		if len(ours) == 0 {
			return nil, fmt.Errorf("livekit: create SIP trunk %q: %w", want.Name, errors.Join(cerr, errors.New("not listed")))
		}
	}
	slices.SortFunc(ours, func(a, b *livekit.SIPInboundTrunkInfo) int {
		return older(a.CreatedAt.AsTime(), b.CreatedAt.AsTime(), a.SipTrunkId, b.SipTrunkId)
	})
	for _, extra := range ours[1:] {
		if err := deleteTrunk(ctx, sc, extra.SipTrunkId); err != nil {
			return nil, err
		}
	}
	keep := ours[0]
	if sameTrunk(keep, want) {
		return keep, nil
	}
	repl := proto.CloneOf(want)
	repl.SipTrunkId = keep.SipTrunkId
	updated, err := sc.UpdateSIPInboundTrunk(ctx, &livekit.UpdateSIPInboundTrunkRequest{
		SipTrunkId: keep.SipTrunkId,
		Action:     &livekit.UpdateSIPInboundTrunkRequest_Replace{Replace: repl},
	})
	if err != nil {
		return nil, fmt.Errorf("livekit: update SIP trunk %s: %w", keep.SipTrunkId, err)
	}
	return updated, nil
}

// listTrunks returns the inbound trunks named name that carry our marker.
// LiveKit lists trunks without a name filter; there are few of them.
func listTrunks(ctx context.Context, sc *lksdk.SIPClient, name string) ([]*livekit.SIPInboundTrunkInfo, error) {
	res, err := sc.ListSIPInboundTrunk(ctx, &livekit.ListSIPInboundTrunkRequest{})
	if err != nil {
		return nil, fmt.Errorf("livekit: list SIP trunks: %w", err)
	}
	return slices.DeleteFunc(res.Items, func(t *livekit.SIPInboundTrunkInfo) bool {
		return t.Name != name || t.Metadata != SIPTrunkMetadata
	}), nil
}

// sameTrunk reports whether got already is want, ignoring the id and the
// server's timestamps, and the order of addresses and numbers.
func sameTrunk(got, want *livekit.SIPInboundTrunkInfo) bool {
	g := proto.CloneOf(got)
	g.SipTrunkId, g.CreatedAt, g.UpdatedAt = "", nil, nil
	slices.Sort(g.AllowedAddresses)
	slices.Sort(g.AllowedNumbers)
	return proto.Equal(g, want)
}

// deleteTrunk deletes a duplicate trunk and the rules bound to it first, so
// that no rule is left pointing at nothing. What another replica deleted
// already counts as deleted.
func deleteTrunk(ctx context.Context, sc *lksdk.SIPClient, id string) error {
	rules, err := listRules(ctx, sc, id)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if err := deleteRule(ctx, sc, r.SipDispatchRuleId); err != nil {
			return err
		}
	}
	if _, err := sc.DeleteSIPTrunk(ctx, &livekit.DeleteSIPTrunkRequest{SipTrunkId: id}); err != nil && !isNotFound(err) {
		return fmt.Errorf("livekit: delete duplicate SIP trunk %s: %w", id, err)
	}
	return nil
}

// ensureRule returns our rule bound to trunkID, after creating it if
// missing, deleting duplicates and updating it if it differs.
func ensureRule(ctx context.Context, sc *lksdk.SIPClient, trunkID string) (*livekit.SIPDispatchRuleInfo, error) {
	want := calleeRule(trunkID)
	ours, err := listRules(ctx, sc, trunkID)
	if err != nil {
		return nil, err
	}
	if len(ours) == 0 {
		_, cerr := sc.CreateSIPDispatchRule(ctx, &livekit.CreateSIPDispatchRuleRequest{DispatchRule: proto.CloneOf(want)})
		if ours, err = listRules(ctx, sc, trunkID); err != nil {
			return nil, err
		}
		if len(ours) == 0 {
			return nil, fmt.Errorf("livekit: create SIP dispatch rule for %s: %w", trunkID, errors.Join(cerr, errors.New("not listed")))
		}
	}
	slices.SortFunc(ours, func(a, b *livekit.SIPDispatchRuleInfo) int {
		return older(a.CreatedAt.AsTime(), b.CreatedAt.AsTime(), a.SipDispatchRuleId, b.SipDispatchRuleId)
	})
	for _, extra := range ours[1:] {
		if err := deleteRule(ctx, sc, extra.SipDispatchRuleId); err != nil {
			return nil, err
		}
	}
	keep := ours[0]
	if sameRule(keep, want) {
		return keep, nil
	}
	repl := proto.CloneOf(want)
	repl.SipDispatchRuleId = keep.SipDispatchRuleId
	updated, err := sc.UpdateSIPDispatchRule(ctx, &livekit.UpdateSIPDispatchRuleRequest{
		SipDispatchRuleId: keep.SipDispatchRuleId,
		Action:            &livekit.UpdateSIPDispatchRuleRequest_Replace{Replace: repl},
	})
	if err != nil {
		return nil, fmt.Errorf("livekit: update SIP dispatch rule %s: %w", keep.SipDispatchRuleId, err)
	}
	return updated, nil
}

// listRules returns our rules bound to trunkID. LiveKit's trunk filter also
// lets through rules bound to no trunk at all (wildcards), which are never
// ours: ours is always bound to our trunk.
func listRules(ctx context.Context, sc *lksdk.SIPClient, trunkID string) ([]*livekit.SIPDispatchRuleInfo, error) {
	res, err := sc.ListSIPDispatchRule(ctx, &livekit.ListSIPDispatchRuleRequest{TrunkIds: []string{trunkID}})
	if err != nil {
		return nil, fmt.Errorf("livekit: list SIP dispatch rules: %w", err)
	}
	return slices.DeleteFunc(res.Items, func(r *livekit.SIPDispatchRuleInfo) bool {
		return r.Name != SIPDispatchRuleName || !slices.Contains(r.TrunkIds, trunkID)
	}), nil
}

// sameRule reports whether got already is want, ignoring the id and the
// server's timestamps.
func sameRule(got, want *livekit.SIPDispatchRuleInfo) bool {
	g := proto.CloneOf(got)
	g.SipDispatchRuleId, g.CreatedAt, g.UpdatedAt = "", nil, nil
	return proto.Equal(g, want)
}

func deleteRule(ctx context.Context, sc *lksdk.SIPClient, id string) error {
	_, err := sc.DeleteSIPDispatchRule(ctx, &livekit.DeleteSIPDispatchRuleRequest{SipDispatchRuleId: id})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("livekit: delete SIP dispatch rule %s: %w", id, err)
	}
	return nil
}

// older orders two trunks or rules oldest first: by creation time, and by id
// when the times are equal (both unset on servers that do not record them).
// Every replica applies the same order, so all keep the same one.
func older(ta, tb time.Time, ida, idb string) int {
	if c := ta.Compare(tb); c != 0 {
		return c
	}
	return strings.Compare(ida, idb)
}

func isNotFound(err error) bool {
	var te twirp.Error
	return errors.As(err, &te) && te.Code() == twirp.NotFound
}
