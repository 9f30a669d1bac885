package livekit

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/meetline/meetline/core"
)

// REFER hand-offs (docs/security.md, REFER mode). A REFER trunk's carrier calls LiveKit itself, without
// sipgate's digest credentials, so LiveKit can only know it by its source address, which the carrier's
// other customers (or a spoofer) share. Each transfer therefore gets a way in of its own: an inbound
// trunk whose only number is an unguessable callee, from the carriers' addresses, without credentials,
// and a Direct dispatch rule bound to it that names the room and gives the caller its attributes. The
// carrier calls sip:<callee>@LiveKit; LiveKit picks that trunk (a trunk listing the called number wins
// over sipgate's, which lists none: sip.MatchTrunkDetailed) and that rule. Any other call from the
// carriers' addresses falls to sipgate's trunk and its digest challenge. The way is closed when sipgate
// says the transfer ended, and in any case once it expires (Sweep), so it serves one call.
//
// LiveKit validates every new trunk against the others: trunks with distinct numbers never conflict.

// transferPrefix starts every callee: "xfer-" and 26 base32 characters, 130 random bits.
const transferPrefix = "xfer-"

// transferMetadata marks a transfer's trunk and says until when it serves (Unix seconds): LiveKit v1.13
// records no creation time.
const transferMetadata = "meetline:transfer:"

// TransferRoutes implements core.TransferRoutes in LiveKit.
type TransferRoutes struct {
	lk    *Client
	name  string   // the trunks' and rules' name, per deployment (as SIPRouting.TrunkName)
	addrs []string // the carriers' source addresses
	ttl   time.Duration
}

// NewTransferRoutes returns transfers named name (the deployment's SIP trunk name + "-transfer"), into
// which the carriers at addrs may call for ttl.
func NewTransferRoutes(lk *Client, name string, addrs []string, ttl time.Duration) *TransferRoutes {
	return &TransferRoutes{lk: lk, name: name, addrs: addrs, ttl: ttl}
}

var _ core.TransferRoutes = (*TransferRoutes)(nil)

// Open creates the trunk, then the rule; a rule that cannot be created takes its trunk away again.
func (r *TransferRoutes) Open(ctx context.Context, g core.TransferGuest) (core.Transfer, error) {
	t := core.Transfer{Target: newTransferTarget(), Expires: time.Now().Add(r.ttl)}
	sc := r.sip()
	trunk, err := sc.CreateSIPInboundTrunk(ctx, &livekit.CreateSIPInboundTrunkRequest{Trunk: &livekit.SIPInboundTrunkInfo{
		Name:             r.name,
		Metadata:         transferMetadata + strconv.FormatInt(t.Expires.Unix(), 10),
		Numbers:          []string{t.Target},
		AllowedAddresses: r.addrs,
	}})
	if err != nil {
		return core.Transfer{}, fmt.Errorf("livekit: open transfer: trunk: %w", err)
	}
	role := string(g.Role)
	if role == "" {
		role = "guest" // as sipgate's X-Meet-Role says for callers without a role
	}
	_, err = sc.CreateSIPDispatchRule(ctx, &livekit.CreateSIPDispatchRuleRequest{DispatchRule: &livekit.SIPDispatchRuleInfo{
		Name:            r.name,
		TrunkIds:        []string{trunk.SipTrunkId},
		HidePhoneNumber: true,
		Attributes:      map[string]string{AttrRoomID: g.RoomID, AttrRole: role, AttrCallID: g.CallID},
		Rule: &livekit.SIPDispatchRule{Rule: &livekit.SIPDispatchRule_DispatchRuleDirect{
			DispatchRuleDirect: &livekit.SIPDispatchRuleDirect{RoomName: g.LiveKitRoom},
		}},
	}})
	if err != nil {
		return core.Transfer{}, errors.Join(fmt.Errorf("livekit: open transfer: rule: %w", err),
			deleteTransfer(context.WithoutCancel(ctx), sc, trunk.SipTrunkId))
	}
	return t, nil
}

// Close deletes the transfer's trunk and rule.
func (r *TransferRoutes) Close(ctx context.Context, target string) error {
	trunks, err := r.list(ctx)
	if err != nil {
		return err
	}
	for _, t := range trunks {
		if len(t.Numbers) == 1 && t.Numbers[0] == target {
			return deleteTransfer(ctx, r.sip(), t.SipTrunkId)
		}
	}
	return nil
}

// Sweep deletes the transfers that expired (sipgate did not close them: it stopped, or the core did not
// answer) and reports how many. Every replica may sweep: deleting what another deleted is no error.
func (r *TransferRoutes) Sweep(ctx context.Context) (int, error) {
	trunks, err := r.list(ctx)
	if err != nil {
		return 0, err
	}
	n, now := 0, time.Now().Unix()
	for _, t := range trunks {
		exp, err := strconv.ParseInt(strings.TrimPrefix(t.Metadata, transferMetadata), 10, 64)
		if err == nil && exp > now {
			continue
		}
		if err := deleteTransfer(ctx, r.sip(), t.SipTrunkId); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// RunSweeps sweeps every interval until ctx ends.
func (r *TransferRoutes) RunSweeps(ctx context.Context, interval time.Duration, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
		if n, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("transfer sweep failed", "swept", n, "err", err)
		} else if n > 0 {
			log.Info("expired transfers removed from LiveKit", "swept", n)
		}
	}
}

// list returns the transfers' trunks.
func (r *TransferRoutes) list(ctx context.Context) ([]*livekit.SIPInboundTrunkInfo, error) {
	res, err := r.sip().ListSIPInboundTrunk(ctx, &livekit.ListSIPInboundTrunkRequest{})
	if err != nil {
		return nil, fmt.Errorf("livekit: list transfers: %w", err)
	}
	var out []*livekit.SIPInboundTrunkInfo
	for _, t := range res.Items {
		if t.Name == r.name && strings.HasPrefix(t.Metadata, transferMetadata) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (r *TransferRoutes) sip() *lksdk.SIPClient {
	return lksdk.NewSIPClient(r.lk.cfg.URL, r.lk.cfg.APIKey, r.lk.cfg.APISecret)
}

// deleteTransfer deletes a transfer's rule, then its trunk.
func deleteTransfer(ctx context.Context, sc *lksdk.SIPClient, trunkID string) error {
	res, err := sc.ListSIPDispatchRule(ctx, &livekit.ListSIPDispatchRuleRequest{TrunkIds: []string{trunkID}})
	if err != nil {
		return fmt.Errorf("livekit: close transfer: %w", err)
	}
	for _, rule := range res.Items {
		if len(rule.TrunkIds) == 1 && rule.TrunkIds[0] == trunkID {
			if err := deleteRule(ctx, sc, rule.SipDispatchRuleId); err != nil {
				return err
			}
		}
	}
	if _, err := sc.DeleteSIPTrunk(ctx, &livekit.DeleteSIPTrunkRequest{SipTrunkId: trunkID}); err != nil && !isNotFound(err) {
		return fmt.Errorf("livekit: close transfer %s: %w", trunkID, err)
	}
	return nil
}

var transferEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newTransferTarget() string {
	b := make([]byte, 17)
	rand.Read(b)
	return transferPrefix + transferEncoding.EncodeToString(b)[:26]
}
