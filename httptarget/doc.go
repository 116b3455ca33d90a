// Package httptarget runs jobs by POSTing them to HTTP endpoints, so that an application in
// any language can be a slaq worker: it receives a signed JSON request per run and answers
// with a status code.
//
// Register a job type with its URL; the tier's workers run it, so at most the tier's workers
// call the endpoint at once, over reused keep-alive connections:
//
//	mux := slaq.NewServeMux()
//	err := httptarget.Register(mux, "send_webhook", httptarget.Target{URL: "https://app.internal/jobs", Secret: secret})
//
// The request body is a [Delivery] (id, type, tier, priority, attempt, max_attempts,
// created_at, payload) and carries the header
//
//	Slaq-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The answer decides the job's fate:
//
//   - 2xx: success.
//   - 429, or 503 with a Retry-After header: the receiver is up and asks to be called later;
//     the job is snoozed for Retry-After (at most MaxRetryAfter) without spending an attempt.
//   - 408, 425, other 5xx, and 429/503 without Retry-After: a retry, spending an attempt, with
//     the tier's backoff.
//   - any other 4xx: a permanent failure (slaq.Permanent): the job goes to the dead letters.
//   - a timeout, a refused or reset connection: a retry.
//
// The first MaxErrorBytes of a failing answer's body become the job's last error. A receiver
// checks the signature with [Verify] or [ReadDelivery] in Go; the README shows the same check
// in a few lines of Python and Node.
package httptarget
