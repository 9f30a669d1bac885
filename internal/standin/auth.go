package standin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// realm is the digest realm of our challenges; LiveKit uses its user agent
// name the same way.
const realm = "meetline-lksip-standin"

// nonceTTL bounds how long a challenge can be answered.
const nonceTTL = time.Minute

// nonces are the challenges issued and not yet used or expired. A nonce
// answers one INVITE only, so a captured Proxy-Authorization cannot be
// replayed (RFC 3261 §22.4 leaves replay protection to the server).
type nonces struct {
	mu     sync.Mutex
	issued map[string]time.Time
}

func (n *nonces) issue() string {
	b := make([]byte, 16)
	rand.Read(b)
	nonce := hex.EncodeToString(b)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.issued == nil {
		n.issued = map[string]time.Time{}
	}
	now := time.Now()
	for k, t := range n.issued {
		if now.Sub(t) > nonceTTL {
			delete(n.issued, k)
		}
	}
	n.issued[nonce] = now
	return nonce
}

// use consumes nonce; false when it was not issued, expired or used.
func (n *nonces) use(nonce string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	t, ok := n.issued[nonce]
	delete(n.issued, nonce)
	return ok && time.Since(t) <= nonceTTL
}

// authorize checks the INVITE's digest credentials (RFC 3261 §22.3, RFC
// 2617 without qop, as LiveKit challenges) against username and password.
// Like LiveKit's SIP service it challenges a request without credentials
// with 407 and Proxy-Authenticate, and refuses wrong ones with 401. It
// responds itself and returns false when the call must stop.
func (s *Server) authorize(req *sip.Request, tx sip.ServerTransaction, username, password string) bool {
	h := req.GetHeader("Proxy-Authorization")
	if h == nil {
		chal := digest.Challenge{Realm: realm, Nonce: s.nonces.issue(), Algorithm: "MD5"}
		res := sip.NewResponseFromRequest(req, sip.StatusProxyAuthRequired, "Proxy Authentication Required", nil)
		res.AppendHeader(sip.NewHeader("Proxy-Authenticate", chal.String()))
		tx.Respond(res)
		return false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Realm != realm || !s.nonces.use(cred.Nonce) {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Bad credentials", nil))
		return false
	}
	chal := digest.Challenge{Realm: realm, Nonce: cred.Nonce, Algorithm: "MD5"}
	want, err := digest.Digest(&chal, digest.Options{Method: string(req.Method), URI: cred.URI, Username: username, Password: password})
	if err != nil || cred.Username != username ||
		subtle.ConstantTimeCompare([]byte(cred.Response), []byte(want.Response)) != 1 {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil))
		return false
	}
	return true
}
