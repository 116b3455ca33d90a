package app

import (
	"encoding/base64"

	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

type ledgerTx = ledger.Transaction

func ledgerFilter() ledger.Filter { return ledger.Filter{} }

func newIssuer(secret string) (*auth.Issuer, error) { return auth.New(secret) }

func authUser(id int64, role string) auth.User { return auth.User{ID: id, Role: role} }

// noneToken is an unsigned token (alg "none") for user id: it must be refused.
func noneToken(id int64) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		enc([]byte(`{"sub":"2","role":"admin","iss":"advancia-pay-ledger","exp":4102444800}`)) + "."
}
