package api

import (
	"context"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// trunkService implements meetline.v1.TrunkService, for operators.
type trunkService struct {
	*Server
}

func (s *trunkService) CreateTrunk(ctx context.Context, req *meetlinev1.CreateTrunkRequest) (*meetlinev1.CreateTrunkResponse, error) {
	numbers, err := s.parseNumbers(req.Numbers)
	if err != nil {
		return nil, err
	}
	handoff, err := handoffFromProto(req.Handoff)
	if err != nil {
		return nil, err
	}
	t := &core.Trunk{Name: req.Name, Numbers: numbers, PINLength: int(req.PinLength), Language: req.Language, Enabled: req.Enabled,
		Handoff: handoff}
	if t.Language == "" {
		t.Language = core.DefaultLanguage
	}
	if err := s.Trunks.CreateTrunk(ctx, t); err != nil {
		return nil, err
	}
	return &meetlinev1.CreateTrunkResponse{Trunk: trunkMessage(t)}, nil
}

func (s *trunkService) ListTrunks(ctx context.Context, _ *meetlinev1.ListTrunksRequest) (*meetlinev1.ListTrunksResponse, error) {
	trunks, err := s.Trunks.FindTrunks(ctx, core.TrunkFilter{})
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.ListTrunksResponse{}
	for _, t := range trunks {
		res.Trunks = append(res.Trunks, trunkMessage(t))
	}
	return res, nil
}

func (s *trunkService) UpdateTrunk(ctx context.Context, req *meetlinev1.UpdateTrunkRequest) (*meetlinev1.UpdateTrunkResponse, error) {
	if req.Id == "" {
		return nil, core.Invalid("id", "must be a trunk id")
	}
	upd := core.TrunkUpdate{Name: req.Name, Language: req.Language, Enabled: req.Enabled}
	if req.PinLength != nil {
		n := int(req.GetPinLength())
		upd.PINLength = &n
	}
	if req.Handoff != meetlinev1.Handoff_HANDOFF_UNSPECIFIED {
		h, err := handoffFromProto(req.Handoff)
		if err != nil {
			return nil, err
		}
		upd.Handoff = &h
	}
	if req.UpdateNumbers {
		numbers, err := s.parseNumbers(req.Numbers)
		if err != nil {
			return nil, err
		}
		upd.Numbers = &numbers
	}
	t, err := s.Trunks.UpdateTrunk(ctx, req.Id, upd)
	if err != nil {
		return nil, err
	}
	return &meetlinev1.UpdateTrunkResponse{Trunk: trunkMessage(t)}, nil
}

// parseNumbers normalises numbers to E.164, reading those without a country
// code in the deployment's default region.
func (s *trunkService) parseNumbers(in []string) ([]core.PhoneNumber, error) {
	out := make([]core.PhoneNumber, 0, len(in))
	for _, n := range in {
		p, err := core.ParsePhoneNumber(n, s.Telephony.DefaultRegion)
		if err != nil {
			return nil, core.Invalid("numbers", "%q is not a valid phone number", n)
		}
		out = append(out, p)
	}
	return out, nil
}

var handoffs = map[core.Handoff]meetlinev1.Handoff{
	core.HandoffBridge: meetlinev1.Handoff_HANDOFF_BRIDGE,
	core.HandoffRefer:  meetlinev1.Handoff_HANDOFF_REFER,
}

// handoffFromProto maps the enum to the domain; UNSPECIFIED is the default,
// as the API documents, and an unknown value is EINVALID.
func handoffFromProto(h meetlinev1.Handoff) (core.Handoff, error) {
	if h == meetlinev1.Handoff_HANDOFF_UNSPECIFIED {
		return core.DefaultHandoff, nil
	}
	for d, p := range handoffs {
		if p == h {
			return d, nil
		}
	}
	return "", core.Invalid("handoff", "must be HANDOFF_BRIDGE or HANDOFF_REFER, not %d", h)
}

// trunkMessage is trunkToProto with the trunk's hand-off mode.
func trunkMessage(t *core.Trunk) *meetlinev1.Trunk {
	p := trunkToProto(t)
	p.Handoff = handoffs[t.Handoff]
	return p
}
