package sipgate_test

import (
	"github.com/meetline/meetline/sipgate"
	"github.com/meetline/meetline/sipgate/corerpc"
)

// The end-to-end tests of package sipgate reach the real core through the real Connect client.
func init() {
	sipgate.NewCoreClient = func(cfg sipgate.CoreConfig) sipgate.CoreClient { return corerpc.New(cfg) }
}
