// Package admin is slaq's admin HTTP API: an [http.Handler] that a Go application mounts
// (usually at "/", since every route lives under /api/jobs) and that `slaq serve` runs as a
// standalone server.
//
// Every route needs a bearer token ("Authorization: Bearer TOKEN"), compared in constant time
// against [Options.Tokens]; the check wraps the whole route table, so no route can be added
// without it. Errors are JSON, {"error":{"code":"…","message":"…"}}, with the stable codes
// listed as the Code constants. Request bodies are limited (413 past the limit) and decoded
// strictly: an unknown field, malformed JSON or a bad tier is a 400 and nothing is stored.
//
// The routes (the OpenAPI description, served at /api/jobs/openapi.json, lists their bodies):
//
//	GET    /api/jobs/metrics                   per tier: the guide's counts, paused, SLA
//	POST   /api/jobs/pause                     {"priority": 5} or {"tier": "BATCH"}
//	POST   /api/jobs/resume                    same body
//	POST   /api/jobs                           enqueue: {"type", "priority", "payload", "options", "idempotency_key"}
//	GET    /api/jobs?tier=&state=&cursor=&limit=  one page of a tier's jobs in one state
//	GET    /api/jobs/{id}                      a job's state, attempts, timestamps, error, result
//	POST   /api/jobs/{id}/cancel               cancel a waiting or delayed job
//	GET    /api/jobs/dead-letters              filter by type, tier, since, until; limit/offset paging
//	GET    /api/jobs/dead-letters/{id}         one dead letter
//	POST   /api/jobs/dead-letters/{id}/retry   re-enqueue with fresh attempts
//	POST   /api/jobs/dead-letters/retry        many: {"ids": […]} or a filter and a limit
//	DELETE /api/jobs/dead-letters/{id}         delete one
//	POST   /api/jobs/dead-letters/delete       delete many: {"ids": […]}
//	POST   /api/jobs/dead-letters/purge        delete those older than {"older_than": "72h"} or {"before": ms}
//	GET    /api/jobs/schedules                 the cron schedules: spec, zone, type, tier, last and next run
//	POST   /api/jobs/test/otp                  development only: enqueue the guide's OTP test job
//	POST   /api/jobs/test/report               development only: enqueue the guide's report test job
//	GET    /api/jobs/openapi.json              this API's OpenAPI 3.1 description
//
// Times are Unix milliseconds, durations milliseconds unless a field says otherwise.
package admin
