package api

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// telephonyService implements meetline.v1.TelephonyService, for sipgate.
type telephonyService struct {
	*Server
}

// ResolvePin looks the PIN up in the called number's trunk while it checks
// the caller's and the number's failure counters: one round trip's wait, not
// two. A caller who is limited, or paced on a number whose budget is spent,
// gets only that, whatever the lookup found, so they learn nothing more.
// Every miss counts as a failure, whatever its cause; on a number under
// attack it also costs the caller a tarpit, which travels as the NotFound's
// RetryInfo. See docs/security.md.
func (s *telephonyService) ResolvePin(ctx context.Context, req *meetlinev1.ResolvePinRequest) (*meetlinev1.ResolvePinResponse, error) {
	if !s.Telephony.Enabled {
		return nil, errTelephonyOff
	}
	called, err := calledNumber(req.CalledNumber, s.Telephony.DefaultRegion)
	if err != nil {
		return nil, err
	}
	found := make(chan pinLookup, 1)
	if core.ValidPIN(req.Pin) {
		go func() {
			var l pinLookup
			l.room, l.trunk, l.err = s.Rooms.FindRoomByPIN(ctx, called, req.Pin)
			found <- l
		}()
	} else {
		found <- pinLookup{err: core.Errorf(core.ENOTFOUND, "no room has this PIN on this number")}
	}
	src := core.PINSource{CallerID: req.CallerId, Trusted: req.CallerTrusted, CallID: req.CallId}
	wait, err := s.PINAttempts.Check(ctx, src, called)
	l := <-found
	switch {
	case core.Code(err) == core.ELIMITED:
		s.metrics.pin.limited.Inc()
		return nil, err
	case err != nil:
		return nil, err
	case wait > 0:
		s.metrics.pin.paced.Inc()
		return &meetlinev1.ResolvePinResponse{RetryAfter: durationpb.New(wait)}, nil
	}
	room, trunk, err := l.room, l.trunk, l.err
	if core.Code(err) == core.ENOTFOUND {
		tarpit, ferr := s.PINAttempts.Fail(ctx, src, called)
		if ferr != nil {
			return nil, ferr
		}
		if tarpit > 0 {
			s.metrics.pin.wrongUnderAttack.Inc()
			return nil, &core.Error{Code: core.ENOTFOUND, Message: "no room has this PIN on this number", RetryAfter: tarpit}
		}
		s.metrics.pin.wrong.Inc()
	}
	if err != nil {
		return nil, err
	}
	s.metrics.pin.found.Inc()
	return &meetlinev1.ResolvePinResponse{
		RoomId:      room.ID,
		LivekitRoom: room.ID,
		RoomName:    room.Name,
		AccessLevel: accessLevels[room.AccessLevel],
		Language:    trunk.Language,
	}, nil
}

// errTelephonyOff answers sipgate when TELEPHONY_ENABLED=false: no number
// and no PIN leads to a room.
var errTelephonyOff = core.Errorf(core.ENOTFOUND, "telephony is disabled on this deployment")

// pinLookup is FindRoomByPIN's answer.
type pinLookup struct {
	room  *core.Room
	trunk *core.Trunk
	err   error
}

// LookupNumber tells sipgate whether to answer a call, in which language, and
// how to hand the caller to LiveKit. With telephony off no number leads
// anywhere: sipgate answers NotFound with 404, as for a number no trunk has.
// Not 503, which tells a carrier to try another gateway, all as off as this
// one; and not 480, a callee's "try later", when it is the deployment's choice.
func (s *telephonyService) LookupNumber(ctx context.Context, req *meetlinev1.LookupNumberRequest) (*meetlinev1.LookupNumberResponse, error) {
	if !s.Telephony.Enabled {
		return nil, errTelephonyOff
	}
	called, err := calledNumber(req.CalledNumber, s.Telephony.DefaultRegion)
	if err != nil {
		return nil, err
	}
	t, err := s.Trunks.FindTrunkByNumber(ctx, called)
	if err != nil {
		return nil, err
	}
	return &meetlinev1.LookupNumberResponse{E164: string(called), TrunkId: t.ID, Language: t.Language, PinLength: int32(t.PINLength),
		Handoff: handoffs[t.Handoff]}, nil
}

// calledNumber normalises the dialled number. Carriers and sipgate send E.164
// already: that form skips the costly parse (a tenth of the RPC), since a
// number that does not exist simply matches no trunk.
func calledNumber(s, region string) (core.PhoneNumber, error) {
	if core.IsE164(s) {
		return core.PhoneNumber(s), nil
	}
	n, err := core.ParsePhoneNumber(s, region)
	if err != nil {
		return "", core.Invalid("called_number", "is not a phone number")
	}
	return n, nil
}

// maxHandoffReason bounds what a report puts in the log.
const maxHandoffReason = 256

// ReportHandoffFailure logs and counts a failed hand-off into LiveKit and has
// the SIP routing checked at once: the usual cause of a hand-off refused
// everywhere is a trunk or rule LiveKit lost with its Redis. It returns
// before the check, which the reconciler spaces out however many reports come.
func (s *telephonyService) ReportHandoffFailure(ctx context.Context, req *meetlinev1.ReportHandoffFailureRequest) (*meetlinev1.ReportHandoffFailureResponse, error) {
	if st := req.SipStatus; st != 0 && (st < 100 || st > 699) {
		return nil, core.Invalid("sip_status", "is not a SIP status (100–699), nor 0 for none")
	}
	if len(req.Reason) > maxHandoffReason {
		return nil, core.Invalid("reason", "is longer than 256 bytes")
	}
	s.metrics.handoffFailures.WithLabelValues(strconv.Itoa(int(req.SipStatus))).Inc()
	s.Logger.WarnContext(ctx, "sipgate reports a failed hand-off to LiveKit", "livekit_room", req.LivekitRoom,
		"call_id", req.CallId, "sip_status", req.SipStatus, "reason", req.Reason, "rechecking", s.SIPRouting != nil)
	if s.SIPRouting != nil {
		s.SIPRouting.Trigger()
	}
	return &meetlinev1.ReportHandoffFailureResponse{}, nil
}
