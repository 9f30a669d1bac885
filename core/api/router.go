package api

import (
	"net/http"
	"strings"
)

// rpcRouter sends a Connect RPC, "/<service>/<method>", to its service's
// handler by one map lookup, and every other request to next. A ServeMux
// would match the path against every pattern and allocate for the wildcard
// a service's "/<service>/" prefix is, on every call.
type rpcRouter struct {
	services map[string]http.Handler // by "/<service>/"
	next     http.Handler
}

// handle takes what a generated New…Handler returns.
func (rt *rpcRouter) handle(prefix string, h http.Handler) {
	if rt.services == nil {
		rt.services = make(map[string]http.Handler)
	}
	rt.services[prefix] = h
}

func (rt *rpcRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := rt.services[servicePrefix(r.URL.Path)]; h != nil {
		h.ServeHTTP(w, r)
		return
	}
	rt.next.ServeHTTP(w, r)
}

// servicePrefix returns "/<service>/" of "/<service>/<method>", or "".
func servicePrefix(path string) string {
	i := strings.IndexByte(path[min(1, len(path)):], '/')
	if !strings.HasPrefix(path, "/") || i < 0 {
		return ""
	}
	return path[:i+2]
}
