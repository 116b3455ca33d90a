package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/slaqhq/slaq"
)

// decode reads r's JSON body into v strictly: one JSON value, no unknown fields. An empty
// body leaves v as it is when optional is true, else it is a 400. A body over the limit is a
// 413.
func decode(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return badRequest("read body: " + err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return badRequest("the request needs a JSON body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return ae
		}
		return badRequest("malformed JSON body: " + err.Error())
	}
	if dec.More() {
		return badRequest("malformed JSON body: more than one JSON value")
	}
	return nil
}

// tierRef is a tier as a request names it: a number (1-5) or a name, case-insensitive.
type tierRef struct {
	tier slaq.Tier
	set  bool
}

// UnmarshalJSON accepts 5, "5" or "batch".
func (t *tierRef) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return badRequest("tier: " + err.Error())
		}
	} else {
		s = string(b)
	}
	if s == "null" {
		return nil
	}
	tier, err := slaq.ParseTier(s)
	if err != nil {
		return fail(http.StatusBadRequest, CodeUnknownTier, err.Error())
	}
	t.tier, t.set = tier, true
	return nil
}

// parseTier reads a tier from a query parameter or path value.
func parseTier(s string) (slaq.Tier, error) {
	t, err := slaq.ParseTier(s)
	if err != nil {
		return 0, fail(http.StatusBadRequest, CodeUnknownTier, err.Error())
	}
	return t, nil
}

// queryInt reads the query parameter name as an int64 (def when absent), rejecting values
// below min.
func queryInt(r *http.Request, name string, def, min int64) (int64, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min {
		return 0, badRequest(fmt.Sprintf("query parameter %s=%q: want an integer >= %d", name, s, min))
	}
	return n, nil
}

// limitParam reads ?limit= (default DefaultListLimit), capped at MaxListLimit.
func limitParam(r *http.Request) (int, error) {
	n, err := queryInt(r, "limit", DefaultListLimit, 1)
	if err != nil {
		return 0, err
	}
	return int(min(n, MaxListLimit)), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
