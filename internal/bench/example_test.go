package bench_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/slaqhq/slaq/internal/bench"
)

// Run one workload in this process with shrunken parameters and print its table.
func ExampleRun() {
	p := bench.DefaultParams()
	p.W1.Jobs, p.W1.Producers = 1000, 10
	res, err := bench.Run(context.Background(), bench.Target{Store: bench.StoreEmbedded}, p, bench.W1, bench.VariantBulk)
	if err != nil {
		log.Fatal(err)
	}
	processed, _ := res.Value("processed")
	fmt.Println("processed", processed)
	_ = bench.Summarize([]*bench.Result{res}).WriteTable(os.Stderr)
	// Output: processed 1000
}
