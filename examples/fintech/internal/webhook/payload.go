package webhook

import (
	"encoding/json"
	"fmt"
)

// Notification is what the service needs from a provider's webhook.
type Notification struct {
	Provider  string
	PaymentID string // the provider's payment id (Cryptomus uuid, NOWPayments payment_id)
	OrderID   string // our transaction id
	Status    string // the provider's status
}

// Outcomes of a provider status for our transaction.
const (
	OutcomeCompleted  = "completed"
	OutcomeFailed     = "failed"
	OutcomeProcessing = "processing"
	OutcomeNone       = ""
)

// ParseCryptomus reads a Cryptomus payment webhook.
func ParseCryptomus(body []byte) (Notification, error) {
	var p struct {
		Type    string `json:"type"`
		UUID    string `json:"uuid"`
		OrderID string `json:"order_id"`
		Status  string `json:"status"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Notification{}, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	if p.UUID == "" || p.OrderID == "" || p.Status == "" {
		return Notification{}, fmt.Errorf("%w: uuid, order_id and status are required", ErrBadBody)
	}
	return Notification{Provider: "cryptomus", PaymentID: p.UUID, OrderID: p.OrderID, Status: p.Status}, nil
}

// ParseNOWPayments reads a NOWPayments IPN; payment_id may be a number or a string.
func ParseNOWPayments(body []byte) (Notification, error) {
	var p struct {
		PaymentID json.RawMessage `json:"payment_id"`
		OrderID   string          `json:"order_id"`
		Status    string          `json:"payment_status"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Notification{}, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	var id string
	if err := json.Unmarshal(p.PaymentID, &id); err != nil {
		var n json.Number
		if json.Unmarshal(p.PaymentID, &n) == nil {
			id = n.String()
		}
	}
	if id == "" || p.OrderID == "" || p.Status == "" {
		return Notification{}, fmt.Errorf("%w: payment_id, order_id and payment_status are required", ErrBadBody)
	}
	return Notification{Provider: "nowpayments", PaymentID: id, OrderID: p.OrderID, Status: p.Status}, nil
}

// Outcome maps a provider status to what it means for our transaction.
func (n Notification) Outcome() string {
	switch n.Provider {
	case "cryptomus":
		switch n.Status {
		case "paid", "paid_over":
			return OutcomeCompleted
		case "fail", "cancel", "system_fail", "wrong_amount", "refund_paid":
			return OutcomeFailed
		case "process", "confirm_check", "check":
			return OutcomeProcessing
		}
	case "nowpayments":
		switch n.Status {
		case "finished":
			return OutcomeCompleted
		case "failed", "expired", "refunded":
			return OutcomeFailed
		case "waiting", "confirming", "confirmed", "sending", "partially_paid":
			return OutcomeProcessing
		}
	}
	return OutcomeNone
}
