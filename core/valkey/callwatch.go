package valkey

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/meetline/meetline/core"
)

// Host actions wait this long for a stream that takes them; a watch mark
// lives this long unless refreshed, every third of it, by its stream.
const (
	callActionsTTL = time.Minute
	callWatchTTL   = time.Minute
)

// CallWatch implements core.CallWatch: per call, a list of pending actions
// and a "watched" mark with a TTL, and the Hub's signal on the call's id.
// The signal carries nothing, so an action queued while no stream was open
// is taken by the next one, and a signal lost to a reconnection only delays
// it until the stream's next refresh.
type CallWatch struct {
	c   *Client
	hub *Hub
}

var _ core.CallWatch = (*CallWatch)(nil)

// NewCallWatch returns a CallWatch kept on c, signalled through hub.
func NewCallWatch(c *Client, hub *Hub) *CallWatch { return &CallWatch{c: c, hub: hub} }

func (w *CallWatch) actionsKey(call string) string { return w.c.Key("call:{" + call + "}:actions") }
func (w *CallWatch) watchedKey(call string) string { return w.c.Key("call:{" + call + "}:watched") }

func (w *CallWatch) Tell(ctx context.Context, callID string, a core.HostAction) (bool, error) {
	msg, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	b := w.c.B()
	res := w.c.DoMulti(ctx,
		b.Rpush().Key(w.actionsKey(callID)).Element(string(msg)).Build(),
		b.Expire().Key(w.actionsKey(callID)).Seconds(int64(callActionsTTL/time.Second)).Build(),
		b.Exists().Key(w.watchedKey(callID)).Build())
	if err := firstError(res); err != nil {
		return false, wrap("tell call", err)
	}
	watched, err := res[2].AsInt64()
	if err != nil {
		return false, wrap("tell call", err)
	}
	return watched > 0, w.hub.Publish(ctx, callID)
}

// Watch runs in the stream's goroutine: nothing else is started per call
// but the Hub's registration.
func (w *CallWatch) Watch(ctx context.Context, callID string, send func(core.HostAction) error) error {
	signals, err := w.hub.Watch(ctx, callID)
	if err != nil {
		return err
	}
	if err := w.mark(ctx, callID); err != nil {
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = w.c.Do(dctx, w.c.B().Del().Key(w.watchedKey(callID)).Build()).Error()
	}()
	if err := send(core.HostAction{}); err != nil {
		return err
	}
	refresh := time.NewTicker(callWatchTTL / 3)
	defer refresh.Stop()
	for {
		if err := w.take(ctx, callID, send); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-signals:
		case <-refresh.C:
			if err := w.mark(ctx, callID); err != nil {
				return err
			}
		}
	}
}

func (w *CallWatch) mark(ctx context.Context, callID string) error {
	err := w.c.Do(ctx, w.c.B().Set().Key(w.watchedKey(callID)).Value("1").Ex(callWatchTTL).Build()).Error()
	if ctx.Err() != nil {
		return nil
	}
	return wrap("watch call", err)
}

// take sends the pending actions, oldest first, each removed before it is
// sent: an action is told at most once.
func (w *CallWatch) take(ctx context.Context, callID string, send func(core.HostAction) error) error {
	for {
		msg, err := w.c.Do(ctx, w.c.B().Lpop().Key(w.actionsKey(callID)).Build()).ToString()
		switch {
		case valkey.IsValkeyNil(err):
			return nil
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return wrap("take call actions", err)
		}
		var a core.HostAction
		if err := json.Unmarshal([]byte(msg), &a); err != nil {
			return wrap("take call actions", errors.Join(errors.New("malformed action"), err))
		}
		if err := send(a); err != nil {
			return err
		}
	}
}
