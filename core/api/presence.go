package api

import (
	"context"
	"fmt"
)

// ReconcilePresence makes presence match what LiveKit says: every live
// LiveKit room with its web participants, and no room live that LiveKit does
// not have. The core runs it at start and then periodically, which repairs
// what a restart or a lost webhook left wrong. Each room it touches notifies
// its lobby watchers, who re-read (a repaired join admits a waiting caller).
func (s *Server) ReconcilePresence(ctx context.Context) error {
	rooms, err := s.LiveKit.ListRooms(ctx)
	if err != nil {
		return fmt.Errorf("reconcile presence: %w", err)
	}
	live := make(map[string]bool, len(rooms))
	for _, r := range rooms {
		live[r] = true
		ps, err := s.LiveKit.ListParticipants(ctx, r)
		if err != nil {
			return fmt.Errorf("reconcile presence: %s: %w", r, err)
		}
		web := []string{}
		for _, p := range ps {
			if !p.SIP {
				web = append(web, p.Identity)
			}
		}
		if err := s.reconcile(ctx, r, web); err != nil {
			return err
		}
	}
	known, err := s.Presence.LiveRooms(ctx)
	if err != nil {
		return err
	}
	for _, room := range known {
		if !live[room] {
			if err := s.reconcile(ctx, room, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// reconcile replaces what presence knows of room and notifies its watchers.
func (s *Server) reconcile(ctx context.Context, room string, web []string) error {
	if err := s.Presence.Reconcile(ctx, room, web); err != nil {
		return err
	}
	return s.Lobby.Notify(ctx, room)
}
