// Package store defines the one boundary between slaq's engine and the place jobs live: the
// [Store] interface, the job record it moves, and the small value types (tiers, states, counts)
// that the engine, the stores and the operational surfaces share.
//
// Every timestamp and duration in this package is an int64 count of milliseconds (Unix time for
// timestamps). Stores never read a clock: the engine passes "now" into every call, so tests can
// inject time and every store orders work the same way.
package store
