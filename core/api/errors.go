package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meetline/meetline/core"
)

// connectCodes maps domain error codes to Connect codes.
var connectCodes = map[core.ErrorCode]connect.Code{
	core.EINVALID:      connect.CodeInvalidArgument,
	core.ENOTFOUND:     connect.CodeNotFound,
	core.ECONFLICT:     connect.CodeAlreadyExists,
	core.EFORBIDDEN:    connect.CodePermissionDenied,
	core.EUNAUTHORIZED: connect.CodeUnauthenticated,
	core.EPRECONDITION: connect.CodeFailedPrecondition,
	core.ELIMITED:      connect.CodeResourceExhausted,
	core.EUNAVAILABLE:  connect.CodeUnavailable,
	core.EINTERNAL:     connect.CodeInternal,
}

// toConnect turns a handler's error into the error the client sees. Domain
// errors keep their message; an invalid field also travels as a
// google.rpc.BadRequest detail so clients can point at the field. Anything
// else is internal, and its text stays in the server's log.
func toConnect(err error, log *slog.Logger, procedure string) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	if errors.Is(err, context.Canceled) {
		return connect.NewError(connect.CodeCanceled, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return connect.NewError(connect.CodeDeadlineExceeded, err)
	}
	var de *core.Error
	if !errors.As(err, &de) && unreachable(err) {
		log.Warn("rpc failed: a dependency is unreachable", "procedure", procedure, "err", err)
		return connect.NewError(connect.CodeUnavailable, errors.New("a service the core depends on is unavailable; try again"))
	}
	if !errors.As(err, &de) || de.Code == core.EINTERNAL {
		log.Error("rpc failed", "procedure", procedure, "err", err)
		return connect.NewError(connect.CodeInternal, errors.New("internal error"))
	}
	msg := de.Message
	if de.Field != "" {
		msg = de.Field + ": " + msg
	}
	ce = connect.NewError(connectCodes[de.Code], errors.New(msg))
	if de.RetryAfter > 0 { // ELIMITED, and a wrong PIN's tarpit

		if d, derr := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(de.RetryAfter)}); derr == nil {
			ce.AddDetail(d)
		}
	}
	if de.Field != "" {
		if d, derr := connect.NewErrorDetail(&errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: de.Field, Description: de.Message}},
		}); derr == nil {
			ce.AddDetail(d)
		}
	}
	return ce
}

// errorTranslator applies toConnect to every handler's error, so handlers
// return domain errors and never build Connect errors themselves.
type errorTranslator struct {
	log *slog.Logger
}

func (t *errorTranslator) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		if err != nil {
			return nil, toConnect(err, t.log, req.Spec().Procedure)
		}
		return res, nil
	}
}

func (t *errorTranslator) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (t *errorTranslator) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := next(ctx, conn); err != nil {
			return toConnect(err, t.log, conn.Spec().Procedure)
		}
		return nil
	}
}

// unreachable reports whether err says a dependency could not be reached or
// dropped the connection (Postgres or Valkey restarting, a fail-over):
// retrying may help, so clients get Unavailable, which sipgate and Connect
// clients retry, rather than Internal. Adapters' errors are checked by shape,
// not by type, so that this package imports no driver: network errors, a
// connection closed mid-answer, and Postgres's SQLSTATE classes 08
// (connection exception) and 57P (the server is shutting down or starting).
func unreachable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		st := pg.SQLState()
		return strings.HasPrefix(st, "08") || strings.HasPrefix(st, "57P")
	}
	return false
}
