package core

// TelephonySettings are the deployment's dial-in settings.
type TelephonySettings struct {
	Enabled bool
	// DefaultRegion (ISO 3166-1 alpha-2) reads numbers written without a country code.
	DefaultRegion string
}

// RecordingSettings are the deployment's recording settings.
type RecordingSettings struct {
	Enabled              bool
	TranscriptionEnabled bool
	// ExpirationDays is how long a recording is kept; 0 keeps it forever.
	ExpirationDays int
}
