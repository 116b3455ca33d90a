// Package service is the base that slaq's background pieces share: a clock that drives timers
// as well as telling the time (so tests can inject one and step every timer), test signals
// that cost nothing in production, and a start/stop loop with one documented contract.
//
// The engine's fetchers and the maintenance services (rescuer, cleaner, dead-letter mover,
// forwarders and cron) are built on it.
package service
