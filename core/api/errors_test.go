package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/meetline/meetline/core"
)

// sqlState is an error with a SQLSTATE, as pgconn.PgError has.
type sqlState string

func (s sqlState) Error() string    { return "postgres: " + string(s) }
func (s sqlState) SQLState() string { return string(s) }

func TestToConnect(t *testing.T) {
	tests := []struct {
		err      error
		code     connect.Code
		message  string
		badField string
	}{
		{core.Invalid("name", "must not be empty"), connect.CodeInvalidArgument, "name: must not be empty", "name"},
		{fmt.Errorf("get room: %w", core.Errorf(core.ENOTFOUND, "room not found")), connect.CodeNotFound, "room not found", ""},
		{core.Errorf(core.ECONFLICT, "slug taken"), connect.CodeAlreadyExists, "slug taken", ""},
		{core.Errorf(core.EFORBIDDEN, "owners only"), connect.CodePermissionDenied, "owners only", ""},
		{core.Errorf(core.EUNAUTHORIZED, "sign in"), connect.CodeUnauthenticated, "sign in", ""},
		{core.Errorf(core.EPRECONDITION, "no lobby"), connect.CodeFailedPrecondition, "no lobby", ""},
		{core.Errorf(core.ELIMITED, "slow down"), connect.CodeResourceExhausted, "slow down", ""},
		{core.Errorf(core.EUNAVAILABLE, "livekit down"), connect.CodeUnavailable, "livekit down", ""},
		{core.Errorf(core.EINTERNAL, "secret detail"), connect.CodeInternal, "internal error", ""},
		{errors.New("pq: password=hunter2"), connect.CodeInternal, "internal error", ""},
		{fmt.Errorf("query: %w", context.Canceled), connect.CodeCanceled, "query: context canceled", ""},
		{context.DeadlineExceeded, connect.CodeDeadlineExceeded, "context deadline exceeded", ""},
		{connect.NewError(connect.CodeAborted, errors.New("as is")), connect.CodeAborted, "as is", ""},
		{fmt.Errorf("find room: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), connect.CodeUnavailable, "a service the core depends on is unavailable; try again", ""},
		{fmt.Errorf("lobby: %w", io.EOF), connect.CodeUnavailable, "a service the core depends on is unavailable; try again", ""},
		{fmt.Errorf("query: %w", sqlState("57P01")), connect.CodeUnavailable, "a service the core depends on is unavailable; try again", ""},
		{fmt.Errorf("query: %w", sqlState("08006")), connect.CodeUnavailable, "a service the core depends on is unavailable; try again", ""},
		{fmt.Errorf("query: %w", sqlState("23505")), connect.CodeInternal, "internal error", ""},
	}
	for _, tt := range tests {
		got := toConnect(tt.err, slog.New(slog.DiscardHandler), "/test")
		var ce *connect.Error
		if !errors.As(got, &ce) {
			t.Fatalf("toConnect(%v) = %T", tt.err, got)
		}
		if ce.Code() != tt.code || ce.Message() != tt.message {
			t.Errorf("toConnect(%v) = %v %q, want %v %q", tt.err, ce.Code(), ce.Message(), tt.code, tt.message)
		}
		var field string
		for _, d := range ce.Details() {
			if v, err := d.Value(); err == nil {
				if br, ok := v.(*errdetails.BadRequest); ok {
					field = br.FieldViolations[0].Field
				}
			}
		}
		if field != tt.badField {
			t.Errorf("toConnect(%v) BadRequest field = %q, want %q", tt.err, field, tt.badField)
		}
	}
}
