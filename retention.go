package slaq

// RetentionStats counts what retention removed since the client's latest Start.
type RetentionStats struct {
	// CompletedDeleted is how many completed jobs the cleaner deleted past Retention or
	// KeepCompleted (jobs deleted as they complete, with KeepCompleted, are not counted here).
	CompletedDeleted int64
	// FailedDeleted is how many failed jobs the cleaner deleted past FailedRetention or
	// KeepFailed (only without DeadLetters).
	FailedDeleted int64
	// DeadLettersPurged is how many dead-letter rows this process purged past
	// DeadLetterRetention (one replica purges per interval: sum over replicas for the total).
	DeadLettersPurged int64
}

// RetentionStats returns what the retention services removed since the latest Start (zero
// before the first).
func (c *Client) RetentionStats() RetentionStats {
	var s RetentionStats
	if cl := c.cleaner.Load(); cl != nil {
		d := cl.Deleted()
		s.CompletedDeleted, s.FailedDeleted = int64(d.Completed), int64(d.Failed)
	}
	if p := c.purger.Load(); p != nil {
		s.DeadLettersPurged = p.PurgedTotal()
	}
	return s
}
