package outbox

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/slaqhq/slaq/store"
)

// appendRecord appends the outbox's encoding of j, without its payload, to dst: a JSON
// object with the fields of store.Job as encoding/json names them, the zero ones left out
// (decoding leaves them zero). It is what json.Marshal would write, minus the zero fields,
// without reflection: it runs inside the caller's transaction (EnqueueTx), where the
// reflective encoder cost as much as a fifth of the INSERT once its code was cold. A record
// that holds what this encoder does not spell itself (a Result, a string that is not valid
// UTF-8) goes through json.Marshal.
func appendRecord(dst []byte, j *store.Job) ([]byte, error) {
	if j.Result != nil || !utf8.ValidString(j.ID) || !utf8.ValidString(j.Type) || !utf8.ValidString(string(j.State)) ||
		!utf8.ValidString(j.LastError) || !utf8.ValidString(j.UniqueKey) || !j.Tier.Valid() {
		rec := *j
		rec.Payload = nil
		enc, err := json.Marshal(&rec)
		if err != nil {
			return dst, err
		}
		return append(dst, enc...), nil
	}
	dst = append(dst, `{"ID":`...)
	dst = appendString(dst, j.ID)
	dst = append(dst, `,"Type":`...)
	dst = appendString(dst, j.Type)
	dst = append(dst, `,"Tier":`...)
	dst = appendString(dst, j.Tier.String())
	dst = append(dst, `,"State":`...)
	dst = appendString(dst, string(j.State))
	for _, f := range [...]struct {
		key string
		v   int64
	}{
		{`,"Attempts":`, int64(j.Attempts)}, {`,"MaxAttempts":`, int64(j.MaxAttempts)}, {`,"TimeoutMs":`, j.TimeoutMs},
		{`,"BackoffMs":`, j.BackoffMs}, {`,"RunAt":`, j.RunAt}, {`,"CreatedAt":`, j.CreatedAt}, {`,"StartedAt":`, j.StartedAt},
		{`,"FinishedAt":`, j.FinishedAt}, {`,"LeaseUntil":`, j.LeaseUntil}, {`,"UniqueTTLMs":`, j.UniqueTTLMs},
		{`,"RetainMs":`, j.RetainMs},
	} {
		if f.v != 0 {
			dst = append(dst, f.key...)
			dst = strconv.AppendInt(dst, f.v, 10)
		}
	}
	if j.LastError != "" {
		dst = append(dst, `,"LastError":`...)
		dst = appendString(dst, j.LastError)
	}
	if j.UniqueKey != "" {
		dst = append(dst, `,"UniqueKey":`...)
		dst = appendString(dst, j.UniqueKey)
	}
	return append(dst, '}'), nil
}

// appendString appends s, valid UTF-8, as a JSON string: quotation mark, reverse solidus and
// control characters escaped, everything else as is.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
