package api

import (
	"context"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// telephonyService implements meetline.v1.TelephonyService, for sipgate.
type telephonyService struct {
	*Server
}

// ResolvePin looks the PIN up in the called number's trunk while it reads
// the caller's failure counters: one round trip's wait, not two. A caller who
// is locked out gets only that, whatever the lookup found, so they learn
// nothing more. Every miss counts as a failure, whatever its cause.
func (s *telephonyService) ResolvePin(ctx context.Context, req *meetlinev1.ResolvePinRequest) (*meetlinev1.ResolvePinResponse, error) {
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
	err = s.PINAttempts.Check(ctx, req.CallerId, called)
	l := <-found
	if err != nil {
		return nil, err
	}
	room, trunk, err := l.room, l.trunk, l.err
	if core.Code(err) == core.ENOTFOUND {
		if ferr := s.PINAttempts.Fail(ctx, req.CallerId, called); ferr != nil {
			return nil, ferr
		}
	}
	if err != nil {
		return nil, err
	}
	return &meetlinev1.ResolvePinResponse{
		RoomId:      room.ID,
		LivekitRoom: room.ID,
		RoomName:    room.Name,
		AccessLevel: accessLevels[room.AccessLevel],
		Language:    trunk.Language,
	}, nil
}

// pinLookup is FindRoomByPIN's answer.
type pinLookup struct {
	room  *core.Room
	trunk *core.Trunk
	err   error
}

// LookupNumber tells sipgate whether to answer a call, in which language, and
// how to hand the caller to LiveKit.
func (s *telephonyService) LookupNumber(ctx context.Context, req *meetlinev1.LookupNumberRequest) (*meetlinev1.LookupNumberResponse, error) {
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
