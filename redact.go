package slaq

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// Redacted is what a sensitive payload field's value becomes wherever slaq shows a job to
// people: "[redacted]".
const Redacted = "[redacted]"

// Redact returns payload (a job's payload or result) with the values of jobType's sensitive
// fields (TypeConfig.Sensitive and Config.Sensitive) replaced by [Redacted]. A field is
// matched by name, case-insensitively (as encoding/json matches struct fields), in every
// object at any depth, so {"card": {"cvc": …}} is redacted by "cvc". Payload comes back
// unchanged (the same slice) when the type has no sensitive field or none occurs; a payload
// that is not JSON comes back as [Redacted] whole when the type has sensitive fields, since
// nothing in it can be told apart. The admin API, the dashboard and the alert notifiers
// of `slaq serve` show payloads through it.
func (c *Client) Redact(jobType string, payload []byte) []byte {
	return RedactPayload(payload, c.sensitive(jobType))
}

// RedactJob returns a copy of j whose payload and result went through [Client.Redact], or
// j itself when nothing in them is sensitive.
func (c *Client) RedactJob(j *Job) *Job {
	if j == nil {
		return nil
	}
	fields := c.sensitive(j.Type)
	p, r := RedactPayload(j.Payload, fields), RedactPayload(j.Result, fields)
	if sameSlice(p, j.Payload) && sameSlice(r, j.Result) {
		return j
	}
	cp := *j
	cp.Payload, cp.Result = p, r
	return &cp
}

func (c *Client) sensitive(jobType string) []string {
	own := c.cfg.types[jobType].Sensitive
	if len(c.cfg.Sensitive) == 0 {
		return own
	}
	return append(own[:len(own):len(own)], c.cfg.Sensitive...)
}

// RedactPayload returns the JSON document payload with the value of every object member
// named in fields (case-insensitively, at any depth) replaced by [Redacted], keeping the
// members' order. It returns payload itself when fields is empty, payload is empty or no
// member matched, and [Redacted] as a JSON string when payload is not JSON.
func RedactPayload(payload []byte, fields []string) []byte {
	if len(fields) == 0 || len(payload) == 0 {
		return payload
	}
	r := redactor{fields: fields}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := r.value(dec); err != nil || !r.done(dec) {
		return []byte(`"` + Redacted + `"`)
	}
	if !r.hit {
		return payload
	}
	return r.out.Bytes()
}

// redactor re-encodes a JSON document token by token, compact, replacing the values of
// sensitive members.
type redactor struct {
	fields []string
	out    bytes.Buffer
	hit    bool
}

func (r *redactor) sensitive(name string) bool {
	for _, f := range r.fields {
		if strings.EqualFold(f, name) {
			return true
		}
	}
	return false
}

// value copies one JSON value from dec to the output.
func (r *redactor) value(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		r.out.WriteByte('{')
		for first := true; dec.More(); first = false {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			name, _ := k.(string)
			if !first {
				r.out.WriteByte(',')
			}
			r.literal(name)
			r.out.WriteByte(':')
			if r.sensitive(name) {
				r.hit = true
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return err
				}
				r.literal(Redacted)
				continue
			}
			if err := r.value(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		r.out.WriteByte('}')
		return err
	case json.Delim('['):
		r.out.WriteByte('[')
		for first := true; dec.More(); first = false {
			if !first {
				r.out.WriteByte(',')
			}
			if err := r.value(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		r.out.WriteByte(']')
		return err
	}
	r.literal(tok)
	return nil
}

// literal writes a scalar token (string, json.Number, bool or nil) as JSON.
func (r *redactor) literal(v any) {
	b, _ := json.Marshal(v) // scalars always encode
	r.out.Write(b)
}

// done reports whether dec holds nothing after the value.
func (r *redactor) done(dec *json.Decoder) bool {
	_, err := dec.Token()
	return err == io.EOF
}

func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
