package admin

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 description of every route; a test checks it against the
// route table both ways.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the API's OpenAPI 3.1 description (JSON).
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

func (h *Handler) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc) //nolint:errcheck // the client went away
}
