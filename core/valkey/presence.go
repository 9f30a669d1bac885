package valkey

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
)

// presenceTTL bounds how long presence outlives its last event, so that a
// lost room_finished cannot leave a room "live" forever.
const presenceTTL = 24 * time.Hour

// Presence implements core.Presence: a "live" key, a set of web
// participants' identities and a counter of ends per room, refreshed by
// every event.
type Presence struct {
	c *Client
}

var _ core.Presence = (*Presence)(nil)

// NewPresence returns presence kept on c.
func NewPresence(c *Client) *Presence { return &Presence{c: c} }

func (p *Presence) liveKey(room string) string { return p.c.Key("presence:{" + room + "}:live") }
func (p *Presence) webKey(room string) string  { return p.c.Key("presence:{" + room + "}:web") }
func (p *Presence) endsKey(room string) string { return p.c.Key("presence:{" + room + "}:ends") }

func (p *Presence) RoomStarted(ctx context.Context, room string) error {
	err := p.c.Do(ctx, p.c.B().Set().Key(p.liveKey(room)).Value("1").Ex(presenceTTL).Build()).Error()
	return wrap("room started", err)
}

// RoomFinished keeps the count of ends for presenceTTL after the last one,
// longer than anyone waits on the phone.
func (p *Presence) RoomFinished(ctx context.Context, room string) error {
	b := p.c.B()
	return wrap("room finished", firstError(p.c.DoMulti(ctx,
		b.Del().Key(p.liveKey(room), p.webKey(room)).Build(),
		b.Incr().Key(p.endsKey(room)).Build(),
		b.Expire().Key(p.endsKey(room)).Seconds(int64(presenceTTL/time.Second)).Build())))
}

// ParticipantJoined also marks the room live: a join proves it, whatever
// happened to room_started.
func (p *Presence) ParticipantJoined(ctx context.Context, room, identity string) error {
	b := p.c.B()
	return wrap("participant joined", firstError(p.c.DoMulti(ctx,
		b.Set().Key(p.liveKey(room)).Value("1").Ex(presenceTTL).Build(),
		b.Sadd().Key(p.webKey(room)).Member(identity).Build(),
		b.Expire().Key(p.webKey(room)).Seconds(int64(presenceTTL/time.Second)).Build())))
}

func (p *Presence) ParticipantLeft(ctx context.Context, room, identity string) error {
	return wrap("participant left", p.c.Do(ctx, p.c.B().Srem().Key(p.webKey(room)).Member(identity).Build()).Error())
}

func (p *Presence) Reconcile(ctx context.Context, room string, identities []string) error {
	if identities == nil {
		return p.RoomFinished(ctx, room)
	}
	b := p.c.B()
	cmds := valkey.Commands{
		b.Del().Key(p.webKey(room)).Build(),
		b.Set().Key(p.liveKey(room)).Value("1").Ex(presenceTTL).Build(),
	}
	if len(identities) > 0 {
		cmds = append(cmds, b.Sadd().Key(p.webKey(room)).Member(identities...).Build(),
			b.Expire().Key(p.webKey(room)).Seconds(int64(presenceTTL/time.Second)).Build())
	}
	return wrap("reconcile", firstError(p.c.DoMulti(ctx, cmds...)))
}

func (p *Presence) RoomPresence(ctx context.Context, room string) (core.RoomState, error) {
	b := p.c.B()
	res := p.c.DoMulti(ctx, b.Exists().Key(p.liveKey(room)).Build(), b.Scard().Key(p.webKey(room)).Build(),
		b.Get().Key(p.endsKey(room)).Build())
	live, err := res[0].AsInt64()
	if err != nil {
		return core.RoomState{}, wrap("presence", err)
	}
	web, err := res[1].AsInt64()
	if err != nil {
		return core.RoomState{}, wrap("presence", err)
	}
	ends, err := res[2].AsInt64()
	if err != nil && !valkey.IsValkeyNil(err) {
		return core.RoomState{}, wrap("presence", err)
	}
	return core.RoomState{Live: live == 1, Web: int(web), Ends: ends}, nil
}

func wrap(what string, err error) error {
	if err != nil {
		return fmt.Errorf("valkey: %s: %w", what, err)
	}
	return nil
}

// LiveRooms scans the "live" keys: a background job's query, never a request's.
func (p *Presence) LiveRooms(ctx context.Context) ([]string, error) {
	prefix, suffix := p.c.Key("presence:{"), "}:live"
	var rooms []string
	var cursor uint64
	for {
		e, err := p.c.Do(ctx, p.c.B().Scan().Cursor(cursor).Match(prefix+"*"+suffix).Count(1000).Build()).AsScanEntry()
		if err != nil {
			return nil, wrap("live rooms", err)
		}
		for _, k := range e.Elements {
			rooms = append(rooms, strings.TrimSuffix(strings.TrimPrefix(k, prefix), suffix))
		}
		if cursor = e.Cursor; cursor == 0 {
			return rooms, nil
		}
	}
}
