package api_test

import (
	"errors"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestTrunkHandoff creates, updates and lists trunks with each hand-off mode:
// unspecified means bridge on creation and "unchanged" on update.
func TestTrunkHandoff(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := t.Context()
	op := s.clients(operatorToken).trunks

	plain, err := op.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "plain", Enabled: true})
	if err != nil || plain.Trunk.Handoff != meetlinev1.Handoff_HANDOFF_BRIDGE {
		t.Fatalf("CreateTrunk(unspecified) = %v, %v", plain, err)
	}
	carrier, err := op.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "carrier", Enabled: true, Handoff: meetlinev1.Handoff_HANDOFF_REFER})
	if err != nil || carrier.Trunk.Handoff != meetlinev1.Handoff_HANDOFF_REFER {
		t.Fatalf("CreateTrunk(refer) = %v, %v", carrier, err)
	}

	lang := "fr-fr"
	kept, err := op.UpdateTrunk(ctx, &meetlinev1.UpdateTrunkRequest{Id: carrier.Trunk.Id, Language: &lang})
	if err != nil || kept.Trunk.Handoff != meetlinev1.Handoff_HANDOFF_REFER || kept.Trunk.Language != lang {
		t.Fatalf("UpdateTrunk(unspecified) = %v, %v; want the hand-off kept", kept, err)
	}
	changed, err := op.UpdateTrunk(ctx, &meetlinev1.UpdateTrunkRequest{Id: plain.Trunk.Id, Handoff: meetlinev1.Handoff_HANDOFF_REFER})
	if err != nil || changed.Trunk.Handoff != meetlinev1.Handoff_HANDOFF_REFER {
		t.Fatalf("UpdateTrunk(refer) = %v, %v", changed, err)
	}
	changed, err = op.UpdateTrunk(ctx, &meetlinev1.UpdateTrunkRequest{Id: carrier.Trunk.Id, Handoff: meetlinev1.Handoff_HANDOFF_BRIDGE})
	if err != nil || changed.Trunk.Handoff != meetlinev1.Handoff_HANDOFF_BRIDGE {
		t.Fatalf("UpdateTrunk(bridge) = %v, %v", changed, err)
	}

	list, err := op.ListTrunks(ctx, &meetlinev1.ListTrunksRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]meetlinev1.Handoff{}
	for _, tr := range list.Trunks {
		got[tr.Name] = tr.Handoff
	}
	if got["carrier"] != meetlinev1.Handoff_HANDOFF_BRIDGE || got["plain"] != meetlinev1.Handoff_HANDOFF_REFER || len(got) != 2 {
		t.Errorf("ListTrunks hand-offs = %v", got)
	}

	_, err = op.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "bad", Handoff: 99})
	wantBadField(t, err, "handoff")
	_, err = op.UpdateTrunk(ctx, &meetlinev1.UpdateTrunkRequest{Id: plain.Trunk.Id, Handoff: 99})
	wantBadField(t, err, "handoff")
}

// TestLookupNumberHandoff checks that sipgate learns each trunk's hand-off.
func TestLookupNumberHandoff(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := t.Context()
	op := s.clients(operatorToken).trunks
	for _, tr := range []*meetlinev1.CreateTrunkRequest{
		{Name: "carrier", Numbers: []string{"+33123456789"}, Enabled: true, Handoff: meetlinev1.Handoff_HANDOFF_REFER},
		{Name: "plain", Numbers: []string{"+33987654321"}, Enabled: true},
	} {
		if _, err := op.CreateTrunk(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	tel := s.clients(sipgateToken).telephony
	for number, want := range map[string]meetlinev1.Handoff{
		"+33123456789": meetlinev1.Handoff_HANDOFF_REFER,
		"+33987654321": meetlinev1.Handoff_HANDOFF_BRIDGE,
	} {
		got, err := tel.LookupNumber(ctx, &meetlinev1.LookupNumberRequest{CalledNumber: number})
		if err != nil || got.Handoff != want {
			t.Errorf("LookupNumber(%s) = %v, %v; want hand-off %v", number, got, err, want)
		}
	}
}

// wantBadField fails the test unless err is InvalidArgument with a
// google.rpc.BadRequest detail naming field.
func wantBadField(t testing.TB, err error, field string) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeInvalidArgument {
		t.Fatalf("error = %v, want InvalidArgument on %q", err, field)
	}
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if br, ok := v.(*errdetails.BadRequest); ok && len(br.FieldViolations) > 0 && br.FieldViolations[0].Field == field {
				return
			}
		}
	}
	t.Fatalf("error = %v, want a BadRequest detail on %q", err, field)
}
