package livekit_test

import (
	"context"
	"testing"

	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/testenv"
)

func TestPing(t *testing.T) {
	t.Parallel()
	cfg, _ := testenv.LiveKit(t)
	if err := livekit.New(cfg).Ping(context.Background()); err != nil {
		t.Errorf("Ping = %v", err)
	}
	cfg.APISecret = "not-the-secret"
	if err := livekit.New(cfg).Ping(context.Background()); err == nil {
		t.Error("Ping with a wrong secret succeeded")
	}
}
