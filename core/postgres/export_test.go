package postgres

// The SQL of the hot paths, for the benchmarks' raw pgx baselines.
const (
	FindRoomByPINSQL = findRoomByPIN
	InsertRoomSQL    = insertRoom
)
