package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/meetline/meetline/core/api"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

func TestGetConfigEveryProtocol(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.addTrunk(t, "paris", "fr-fr", true, "+33123456789")
	s.addTrunk(t, "amsterdam", "nl-nl", true, "+31201234567")
	s.addTrunk(t, "retired", "en-us", false, "+4930123456")

	want := &meetlinev1.GetConfigResponse{
		Telephony: &meetlinev1.TelephonyConfig{
			Enabled:        true,
			DefaultCountry: "FR",
			Numbers: []*meetlinev1.DialInNumber{
				{E164: "+31201234567", Display: "+31 20 123 4567", Region: "NL", Language: "nl-nl"},
				{E164: "+33123456789", Display: "+33 1 23 45 67 89", Region: "FR", Language: "fr-fr"},
			},
		},
		Recording: &meetlinev1.RecordingConfig{
			Enabled: true, ExpirationDays: 30,
			Modes: []meetlinev1.RecordingMode{meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING},
		},
		Languages:       []string{"en-us", "fr-fr", "nl-nl", "de-de"},
		DefaultLanguage: "en-us",
	}
	protocols := map[string][]connect.ClientOption{
		"connect":       nil,
		"connect+json":  {connect.WithProtoJSON()},
		"connect+get":   {connect.WithHTTPGet()},
		"grpc":          {connect.WithGRPC()},
		"grpc-web":      {connect.WithGRPCWeb()},
		"grpc-web+json": {connect.WithGRPCWeb(), connect.WithProtoJSON()},
	}
	for name, opts := range protocols {
		t.Run(name, func(t *testing.T) {
			c := meetlinev1connect.NewConfigServiceClient(h2c(), s.url, opts...)
			got, err := c.GetConfig(context.Background(), &meetlinev1.GetConfigRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, want) {
				t.Errorf("GetConfig =\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// TestGetConfigPlainJSON posts JSON as a browser's fetch would, with no Connect client.
func TestGetConfigPlainJSON(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.addTrunk(t, "paris", "fr-fr", true, "+33123456789")
	res, err := http.Post(s.url+"/meetline.v1.ConfigService/GetConfig", "application/json", bytes.NewBufferString("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	var got struct {
		Telephony struct {
			Numbers []struct{ E164, Display string }
		}
		Languages []string
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if len(got.Telephony.Numbers) != 1 || got.Telephony.Numbers[0].Display != "+33 1 23 45 67 89" {
		t.Errorf("numbers = %+v", got.Telephony.Numbers)
	}
	if !slices.Contains(got.Languages, "fr-fr") {
		t.Errorf("languages = %v", got.Languages)
	}
}

func TestGetConfigTelephonyOffHidesNumbers(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *api.Server) {
		srv.Telephony.Enabled = false
		srv.Recording.TranscriptionEnabled = true
	})
	s.addTrunk(t, "paris", "fr-fr", true, "+33123456789")
	c := meetlinev1connect.NewConfigServiceClient(http.DefaultClient, s.url)
	got, err := c.GetConfig(context.Background(), &meetlinev1.GetConfigRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Telephony.Enabled || len(got.Telephony.Numbers) != 0 {
		t.Errorf("telephony = %v, want disabled with no numbers", got.Telephony)
	}
	if len(got.Recording.Modes) != 2 {
		t.Errorf("modes = %v, want screen recording and transcript", got.Recording.Modes)
	}
}

func TestGetConfigDatabaseDownIsInternal(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.db.Close() // the pool refuses every query from now on
	c := meetlinev1connect.NewConfigServiceClient(http.DefaultClient, s.url)
	_, err := c.GetConfig(context.Background(), &meetlinev1.GetConfigRequest{})
	if connect.CodeOf(err) != connect.CodeInternal {
		t.Fatalf("err = %v, want internal", err)
	}
	if got := err.(*connect.Error).Message(); got != "internal error" {
		t.Errorf("message = %q: internal details must stay in the server log", got)
	}
}
