package outbox

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// RejectedTable is the table into which [Outbox.Forward] sets aside the rows whose job
// record does not decode to a valid job, next to [Table].
const RejectedTable = "slaq_outbox_rejected"

// Rejection is an outbox row that [Outbox.Forward] set aside into [RejectedTable], because
// its job record does not decode to a job the store can take.
type Rejection struct {
	Seq    int64  // the row's seq in the outbox
	JobID  string // the row's job_id column
	Reason string // what is wrong with its job record
}

// Forwarded is what one [Outbox.Forward] did.
type Forwarded struct {
	// Moved is how many jobs it handed to move and removed from the outbox.
	Moved int
	// Rejected are the rows it set aside into RejectedTable, in seq order, in the
	// transaction that removed the batch.
	Rejected []Rejection
}

// Rows returns how many rows the forward removed from the outbox: the jobs it moved and the
// rows it set aside.
func (f Forwarded) Rows() int { return f.Moved + len(f.Rejected) }

// Rejected returns how many rows [RejectedTable] holds: rows set aside by any forwarder, and
// not yet re-inserted or deleted by an operator.
func (o *Outbox) Rejected(ctx context.Context) (int, error) {
	var n int
	if err := o.db.QueryRowContext(ctx, "SELECT count(*) FROM "+RejectedTable).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox: count rejected rows: %w", err)
	}
	return n, nil
}

// outboxRow is a row of the outbox as a forward reads it.
type outboxRow struct {
	Seq          int64
	JobID        string
	Job, Payload []byte
}

// rejectedRow is an outbox row a forward sets aside, and why.
type rejectedRow struct {
	outboxRow
	reason string
}

// split decodes rows, in their order, into the jobs to move and the rows to set aside.
func split(rows []outboxRow) ([]*Job, []rejectedRow) {
	jobs := make([]*Job, 0, len(rows))
	var rejects []rejectedRow
	for _, r := range rows {
		j, err := decodeJob(r.Job, r.Payload)
		if err == nil {
			err = checkJob(j)
		}
		if err != nil {
			rejects = append(rejects, rejectedRow{r, err.Error()})
			continue
		}
		jobs = append(jobs, j)
	}
	return jobs, rejects
}

// checkJob reports why the store cannot take j, decoded from an outbox row, or nil. Each of
// these would fail the store's Enqueue of the whole batch, every time.
func checkJob(j *Job) error {
	switch {
	case j.ID != "" && !j.Tier.Valid():
		return fmt.Errorf("job %q: invalid tier %d", j.ID, j.Tier)
	case j.ID != "" && j.Type == "":
		return fmt.Errorf("job %q: empty job type", j.ID)
	}
	return store.CheckIDTier(j)
}

// rejections returns what a forward reports of the rows it set aside.
func rejections(rows []rejectedRow) []Rejection {
	if len(rows) == 0 {
		return nil
	}
	out := make([]Rejection, len(rows))
	for i, r := range rows {
		out[i] = Rejection{Seq: r.Seq, JobID: r.JobID, Reason: r.reason}
	}
	return out
}
