package loadtest

import (
	"context"
	"errors"
	"io"
)

// Main runs the load command.
func Main(ctx context.Context, args []string, out io.Writer) error { return errors.New("todo") }
