package core

// MayStay reports whether p may stay in the meeting of a room whose access
// level just became level. LiveKit's own participants (a recording) and phone callers stay (their PIN and the lobby
// admitted each call; regenerating the PIN is the lever on them), so do role
// holders (a role taken away removes its holder by identity) and people a host
// admitted from the lobby (a denial removes them); anyone else stays only if
// the new level would let them in: after public → trusted the anonymous
// leave, after → restricted everyone without a role.
func MayStay(level AccessLevel, p LiveParticipant) bool {
	if p.SIP || p.Service || p.Role != RoleNone || p.LobbyEntry != "" {
		return true
	}
	return CanEnter(level, RoleNone, p.Authenticated)
}

// Tighter reports whether level to lets fewer people in without the lobby
// than level from.
func Tighter(from, to AccessLevel) bool { return rank[to] > rank[from] }

var rank = map[AccessLevel]int{AccessPublic: 0, AccessTrusted: 1, AccessRestricted: 2}
