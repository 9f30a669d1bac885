package postgres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetline/meetline/core"
)

// Page sizes of the lists.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// pageToken is the position after the last item of a page. Keyset
// pagination (created_at, id) stays exact while rooms are added, and costs
// the same on page 1,000 as on page 1, unlike an OFFSET.
type pageToken struct {
	createdAt time.Time
	id        string
}

// encode makes the token opaque: base64 of "<unix microseconds>.<id>";
// microseconds are Postgres's precision, so the position is exact.
func (p pageToken) encode() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%s", p.createdAt.UnixMicro(), p.id))
}

func decodePageToken(s string) (pageToken, error) {
	invalid := core.Invalid("page_token", "is not a token this list returned")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, invalid
	}
	micros, id, ok := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || !isUUID(id) {
		return pageToken{}, invalid
	}
	return pageToken{createdAt: time.UnixMicro(us), id: id}, nil
}

// pageSize returns the size to use for a requested one.
func pageSize(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// FindRoomsByUser lists the rooms user has a role in, newest first, a page at
// a time; next is "" on the last page.
func (s *RoomService) FindRoomsByUser(ctx context.Context, user string, page core.Page) ([]*core.Room, string, error) {
	size, after, afterID, err := pageQuery(page)
	if err != nil || !isUUID(user) {
		return nil, "", err
	}
	// One more row than asked says whether there is a next page.
	rows, err := s.db.Pool.Query(ctx, `
		SELECT `+roomColumns+` FROM room_accesses a JOIN rooms r ON r.id = a.room_id
		WHERE a.user_id = $1 AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2, $3::uuid))
		ORDER BY r.created_at DESC, r.id DESC LIMIT $4`, user, after, afterID, size+1)
	if err != nil {
		return nil, "", fmt.Errorf("find rooms by user: %w", err)
	}
	rooms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*core.Room, error) { return scanRoom(row) })
	if err != nil {
		return nil, "", fmt.Errorf("find rooms by user: %w", err)
	}
	rooms, next := pageOf(rooms, size, func(r *core.Room) pageToken { return pageToken{r.CreatedAt, r.ID} })
	return rooms, next, nil
}

// pageQuery turns a requested page into its size and the position after
// which it starts (NULLs: from the start).
func pageQuery(page core.Page) (size int, after, afterID any, err error) {
	size = pageSize(page.Size)
	if page.Token != "" {
		p, err := decodePageToken(page.Token)
		if err != nil {
			return 0, nil, nil, err
		}
		after, afterID = p.createdAt, p.id
	}
	return size, after, afterID, nil
}

// pageOf trims items (fetched with one more than size, which says whether a
// next page exists) to size, and returns the token of the next page.
func pageOf[T any](items []T, size int, position func(T) pageToken) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, position(items[size-1]).encode()
}
