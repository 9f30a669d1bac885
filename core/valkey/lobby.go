package valkey

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
)

// LobbyService implements core.LobbyService. Each entry is a JSON value with
// the TTL of its status; two sorted sets per room, scored by expiry, index
// the room's entries (to clear them) and its waiting ones (to list them).
// Keys carry the room in braces so that, on a Valkey cluster, one room's keys
// share a slot. Changes, and Notify, are published on the room's channel
// (see Hub).
type LobbyService struct {
	c    *Client
	hub  *Hub
	ttls core.LobbyTTLs
	now  func() time.Time
}

var _ core.LobbyService = (*LobbyService)(nil)

// NewLobbyService returns a lobby on c whose changes hub broadcasts.
func NewLobbyService(c *Client, hub *Hub, ttls core.LobbyTTLs) *LobbyService {
	return &LobbyService{c: c, hub: hub, ttls: ttls, now: time.Now}
}

// storedEntry is an entry as kept in Valkey.
type storedEntry struct {
	Username string               `json:"u"`
	Color    string               `json:"c"`
	Status   core.EntryStatus     `json:"s"`
	Kind     core.ParticipantKind `json:"k"`
	Since    int64                `json:"t"` // first request, Unix ms: the list's order
	UserID   string               `json:"a,omitempty"`
	Email    string               `json:"m,omitempty"`
}

func (l *LobbyService) entryKey(room, id string) string { return l.c.Key("lobby:{" + room + "}:" + id) }
func (l *LobbyService) allKey(room string) string       { return l.c.Key("lobby:{" + room + "}:all") }
func (l *LobbyService) waitingKey(room string) string   { return l.c.Key("lobby:{" + room + "}:waiting") }

func (l *LobbyService) PutEntry(ctx context.Context, e *core.LobbyEntry) error {
	now := l.now()
	since, changed := now.UnixMilli(), true
	if old, err := l.findEntry(ctx, e.RoomID, e.ID); err == nil {
		since, changed = old.since, old.Status != e.Status
	}
	ttl := l.ttls.TTL(e.Status)
	v, err := json.Marshal(storedEntry{e.Username, e.Color, e.Status, e.Kind, since, e.UserID, e.Email})
	if err != nil {
		return err
	}
	expiry := float64(now.Add(ttl).UnixMilli())
	b := l.c.B()
	cmds := valkey.Commands{
		b.Set().Key(l.entryKey(e.RoomID, e.ID)).Value(string(v)).Px(ttl).Build(),
		b.Zadd().Key(l.allKey(e.RoomID)).ScoreMember().ScoreMember(expiry, e.ID).Build(),
		b.Pexpire().Key(l.allKey(e.RoomID)).Milliseconds(l.ttls.Accepted.Milliseconds()).Build(),
	}
	if e.Status == core.EntryWaiting {
		cmds = append(cmds,
			b.Zadd().Key(l.waitingKey(e.RoomID)).ScoreMember().ScoreMember(expiry, e.ID).Build(),
			b.Pexpire().Key(l.waitingKey(e.RoomID)).Milliseconds(l.ttls.Accepted.Milliseconds()).Build())
	} else {
		cmds = append(cmds, b.Zrem().Key(l.waitingKey(e.RoomID)).Member(e.ID).Build())
	}
	if err := firstError(l.c.DoMulti(ctx, cmds...)); err != nil {
		return fmt.Errorf("lobby: put: %w", err)
	}
	if !changed {
		return nil // a refresh: watchers have nothing new to see
	}
	return l.hub.Publish(ctx, e.RoomID)
}

// RefreshEntry extends the entry's expiry only if that lengthens it (PEXPIRE
// GT): a waiting entry gains time, an accepted one (hours left) is untouched.
// The waiting index is updated only for ids still in it (ZADD XX), and a
// decision removes ids from it; so a refresh racing a decision cannot undo it.
func (l *LobbyService) RefreshEntry(ctx context.Context, room, id string) error {
	ttl := l.ttls.Waiting
	expiry := float64(l.now().Add(ttl).UnixMilli())
	b := l.c.B()
	res := l.c.DoMulti(ctx,
		b.Pexpire().Key(l.entryKey(room, id)).Milliseconds(ttl.Milliseconds()).Gt().Build(),
		b.Zadd().Key(l.waitingKey(room)).Xx().Gt().ScoreMember().ScoreMember(expiry, id).Build(),
		b.Exists().Key(l.entryKey(room, id)).Build())
	if err := firstError(res); err != nil {
		return fmt.Errorf("lobby: refresh: %w", err)
	}
	if n, _ := res[2].AsInt64(); n == 0 { // expired, or Valkey came back empty
		return core.Errorf(core.ENOTFOUND, "participant not found")
	}
	return nil
}

// found is a stored entry with what only the store needs.
type found struct {
	*core.LobbyEntry
	since int64
}

func (l *LobbyService) FindEntry(ctx context.Context, room, id string) (*core.LobbyEntry, error) {
	e, err := l.findEntry(ctx, room, id)
	if err != nil {
		return nil, err
	}
	return e.LobbyEntry, nil
}

func (l *LobbyService) findEntry(ctx context.Context, room, id string) (*found, error) {
	v, err := l.c.Do(ctx, l.c.B().Get().Key(l.entryKey(room, id)).Build()).ToString()
	if valkey.IsValkeyNil(err) {
		return nil, core.Errorf(core.ENOTFOUND, "participant not found")
	}
	if err != nil {
		return nil, fmt.Errorf("lobby: get: %w", err)
	}
	return decodeEntry(room, id, v)
}

func decodeEntry(room, id, v string) (*found, error) {
	var s storedEntry
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return nil, fmt.Errorf("lobby: entry %s: %w", id, err)
	}
	return &found{&core.LobbyEntry{ID: id, RoomID: room, Username: s.Username, Color: s.Color, Status: s.Status, Kind: s.Kind,
		UserID: s.UserID, Email: s.Email}, s.Since}, nil
}

func (l *LobbyService) FindWaiting(ctx context.Context, room string) ([]*core.LobbyEntry, error) {
	now := strconv.FormatInt(l.now().UnixMilli(), 10)
	b := l.c.B()
	res := l.c.DoMulti(ctx,
		b.Zremrangebyscore().Key(l.waitingKey(room)).Min("-inf").Max("("+now).Build(),
		b.Zrange().Key(l.waitingKey(room)).Min("0").Max("-1").Build())
	ids, err := res[1].AsStrSlice()
	if err != nil {
		return nil, fmt.Errorf("lobby: list: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = l.entryKey(room, id)
	}
	// One slot per room (the braces), so MGET works on a cluster too.
	vals, err := l.c.Do(ctx, b.Mget().Key(keys...).Build()).ToArray()
	if err != nil {
		return nil, fmt.Errorf("lobby: list: %w", err)
	}
	var out []*found
	for i, v := range vals {
		s, err := v.ToString()
		if err != nil {
			continue // expired between the two reads
		}
		e, err := decodeEntry(room, ids[i], s)
		if err != nil || e.Status != core.EntryWaiting {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *found) int { return int(a.since - b.since) })
	entries := make([]*core.LobbyEntry, len(out))
	for i, e := range out {
		entries[i] = e.LobbyEntry
	}
	return entries, nil
}

// CountWaiting counts the waiting index's members that have not expired.
func (l *LobbyService) CountWaiting(ctx context.Context, room string) (int, error) {
	now := strconv.FormatInt(l.now().UnixMilli(), 10)
	n, err := l.c.Do(ctx, l.c.B().Zcount().Key(l.waitingKey(room)).Min(now).Max("+inf").Build()).AsInt64()
	if err != nil {
		return 0, fmt.Errorf("lobby: count: %w", err)
	}
	return int(n), nil
}

func (l *LobbyService) RemoveEntry(ctx context.Context, room, id string) error {
	b := l.c.B()
	if err := firstError(l.c.DoMulti(ctx,
		b.Del().Key(l.entryKey(room, id)).Build(),
		b.Zrem().Key(l.allKey(room)).Member(id).Build(),
		b.Zrem().Key(l.waitingKey(room)).Member(id).Build())); err != nil {
		return fmt.Errorf("lobby: remove: %w", err)
	}
	return l.hub.Publish(ctx, room)
}

func (l *LobbyService) ClearLobby(ctx context.Context, room string) error {
	ids, err := l.c.Do(ctx, l.c.B().Zrange().Key(l.allKey(room)).Min("0").Max("-1").Build()).AsStrSlice()
	if err != nil {
		return fmt.Errorf("lobby: clear: %w", err)
	}
	keys := []string{l.allKey(room), l.waitingKey(room)}
	for _, id := range ids {
		keys = append(keys, l.entryKey(room, id))
	}
	if err := l.c.Do(ctx, l.c.B().Del().Key(keys...).Build()).Error(); err != nil {
		return fmt.Errorf("lobby: clear: %w", err)
	}
	return l.hub.Publish(ctx, room)
}

func (l *LobbyService) Notify(ctx context.Context, room string) error {
	return l.hub.Publish(ctx, room)
}

func (l *LobbyService) WatchLobby(ctx context.Context, room string) (<-chan struct{}, error) {
	return l.hub.Watch(ctx, room)
}

func firstError(res []valkey.ValkeyResult) error {
	for _, r := range res {
		if err := r.Error(); err != nil {
			return err
		}
	}
	return nil
}
