package httptarget

import (
	"encoding/json"
	"strconv"

	"github.com/slaqhq/slaq"
)

// Delivery is the JSON body of one request: the job as its run sees it.
type Delivery struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Tier        string          `json:"tier"`         // e.g. "CRITICAL"
	Priority    int             `json:"priority"`     // the tier's number, 1 (CRITICAL) to 5 (BATCH)
	Attempt     int             `json:"attempt"`      // this run's attempt, from 1
	MaxAttempts int             `json:"max_attempts"` // runs allowed in all
	CreatedAt   int64           `json:"created_at"`   // enqueue time, Unix ms
	Payload     json.RawMessage `json:"payload"`      // the job's payload, as enqueued
}

// UnmarshalJSON decodes a delivery.
func (d *Delivery) UnmarshalJSON(b []byte) error {
	type plain Delivery
	return json.Unmarshal(b, (*plain)(d))
}

// appendDelivery appends j's delivery body to buf, without reflection: a job's id, type and
// tier are ASCII-safe or quoted, and its payload is already valid JSON.
func appendDelivery(buf []byte, j *slaq.Job) []byte {
	buf = append(buf, `{"id":`...)
	buf = appendString(buf, j.ID)
	buf = append(buf, `,"type":`...)
	buf = appendString(buf, j.Type)
	buf = append(buf, `,"tier":"`...)
	buf = append(buf, j.Tier.String()...)
	buf = append(buf, `","priority":`...)
	buf = strconv.AppendInt(buf, int64(j.Tier), 10)
	buf = append(buf, `,"attempt":`...)
	buf = strconv.AppendInt(buf, int64(j.Attempts+1), 10)
	buf = append(buf, `,"max_attempts":`...)
	buf = strconv.AppendInt(buf, int64(j.MaxAttempts), 10)
	buf = append(buf, `,"created_at":`...)
	buf = strconv.AppendInt(buf, j.CreatedAt, 10)
	buf = append(buf, `,"payload":`...)
	if len(j.Payload) == 0 {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, j.Payload...)
	}
	return append(buf, '}')
}

// appendString appends s as a JSON string (encoding/json's escaping).
func appendString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(buf, b...)
}
