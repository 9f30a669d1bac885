package sipgate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meetline/meetline/core/app"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// TestTelephonyOffIsUnknownNumber: a core with TELEPHONY_ENABLED=false
// answers a trunk's own number as one it does not know, which call setup
// rejects with 404 Not Found.
func TestTelephonyOffIsUnknownNumber(t *testing.T) {
	c := testenv.Core(t, testenv.WithConfig(gatewaySettings),
		testenv.WithConfig(func(c *app.Config) { c.TelephonyEnabled = false }))
	ctx := context.Background()
	trunks := meetlinev1connect.NewTrunkServiceClient(testenv.Client(testOperatorToken), c.URL)
	if _, err := trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{testNumber}, PinLength: 4, Language: "fr-fr", Enabled: true,
	}); err != nil {
		t.Fatalf("CreateTrunk: %v", err)
	}
	client := NewCoreClient(CoreConfig{URL: c.URL, Token: testSipgateToken, ResolveTimeout: 2 * time.Second})
	if _, err := client.LookupNumber(ctx, testNumber); !errors.Is(err, ErrUnknownNumber) {
		t.Fatalf("LookupNumber: %v, want ErrUnknownNumber", err)
	}
}
