package sipgate

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// newDialogUAs builds one sipgo dialog user agent per transport, each with the Contact (RFC 3261 §8.1.1.8)
// that names sipgate's listener for that transport, so that the caller's in-dialog requests (ACK, INFO,
// BYE) come back over the transport the call uses.
//
// Over TCP and TLS, requests sipgate sends (BYE) go to the source of the INVITE — the connection the caller
// opened — rather than to its Contact: a caller rarely listens on the port it connects from, and reusing
// the connection is what RFC 5923 asks for and what gets through NAT. Over UDP they go to the Contact.
func (s *Server) newDialogUAs(ls *listeners) map[string]*sipgo.DialogUA {
	uas := map[string]*sipgo.DialogUA{
		"udp": s.dialogUA("udp", ls.addr()),
		"tcp": s.dialogUA("tcp", ls.addr()),
	}
	if ls.tls != nil {
		uas["tls"] = s.dialogUA("tls", ls.tls.Addr().String())
	}
	return uas
}

func (s *Server) dialogUA(transport, addr string) *sipgo.DialogUA {
	host, portStr, _ := net.SplitHostPort(addr)
	if ip, err := netip.ParseAddr(host); err != nil || ip.IsUnspecified() {
		host = s.cc.RTPIP.String()
	}
	port, _ := strconv.Atoi(portStr)
	contact := sip.ContactHeader{Address: sip.Uri{
		Scheme:    "sip",
		User:      "sipgate",
		Host:      host,
		Port:      port,
		UriParams: sip.NewParams(),
	}}
	contact.Address.UriParams.Add("transport", transport)
	return &sipgo.DialogUA{Client: s.client, ContactHDR: contact, RewriteContact: transport != "udp"}
}

// dialogFor returns the dialog user agent of req's transport.
func (s *Server) dialogFor(req *sip.Request) *sipgo.DialogUA {
	if ua, ok := s.dialogs[strings.ToLower(req.Transport())]; ok {
		return ua
	}
	return s.dialogs["udp"]
}
