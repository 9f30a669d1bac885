package api

import (
	"context"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// configService implements meetline.v1.ConfigService.
type configService struct {
	*Server
}

// GetConfig is public: it is what a client reads before anyone signs in.
func (s *configService) GetConfig(ctx context.Context, _ *meetlinev1.GetConfigRequest) (*meetlinev1.GetConfigResponse, error) {
	res := &meetlinev1.GetConfigResponse{
		Telephony: &meetlinev1.TelephonyConfig{
			Enabled:        s.Telephony.Enabled,
			DefaultCountry: s.Telephony.DefaultRegion,
		},
		Recording: &meetlinev1.RecordingConfig{
			Enabled:              s.Recording.Enabled,
			TranscriptionEnabled: s.Recording.TranscriptionEnabled,
			ExpirationDays:       uint32(s.Recording.ExpirationDays),
			Modes:                []meetlinev1.RecordingMode{meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING},
		},
		Languages:       core.Languages,
		DefaultLanguage: core.DefaultLanguage,
	}
	if s.Recording.TranscriptionEnabled {
		res.Recording.Modes = append(res.Recording.Modes, meetlinev1.RecordingMode_RECORDING_MODE_TRANSCRIPT)
	}
	if !s.Telephony.Enabled {
		return res, nil
	}
	enabled := true
	trunks, err := s.Trunks.FindTrunks(ctx, core.TrunkFilter{Enabled: &enabled})
	if err != nil {
		return nil, err
	}
	for _, t := range trunks {
		for _, n := range t.Numbers {
			res.Telephony.Numbers = append(res.Telephony.Numbers, dialInNumber(n, t.Language, ""))
		}
	}
	return res, nil
}
