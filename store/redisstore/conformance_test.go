package redisstore

import (
	"testing"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}
