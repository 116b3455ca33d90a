package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
	"github.com/slaqhq/slaq/examples/fintech/internal/mail"
)

// Lifetimes of the one-time codes, from when their job runs.
const (
	ResetTokenTTL = time.Hour        // a password-reset link
	OTPTTL        = 10 * time.Minute // a one-time sign-in code
)

func (w *Workers) send(ctx context.Context, m mail.Message) error {
	if m.To == "" || !strings.Contains(m.To, "@") {
		return slaq.Permanent(fmt.Errorf("no valid recipient %q", m.To))
	}
	return w.Mail.Send(ctx, m)
}

func (w *Workers) passwordReset(ctx context.Context, _ *slaq.Job, p PasswordReset) error {
	if p.Token == "" {
		return slaq.Permanent(errors.New("no reset token"))
	}
	if err := w.Ledger.SaveCode(ctx, p.Email, ledger.CodeReset, p.Token, ResetTokenTTL); err != nil {
		return err
	}
	link := w.BaseURL + "/reset-password?token=" + url.QueryEscape(p.Token)
	return w.send(ctx, mail.Message{To: p.Email, Subject: "Reset your Advancia Pay password",
		Text: "Someone asked to reset the password of this account.\n\nReset it here (valid for 1 hour):\n" + link +
			"\n\nIf it was not you, ignore this email.\n"})
}

func (w *Workers) otp(ctx context.Context, _ *slaq.Job, p OTP) error {
	if p.Code == "" {
		return slaq.Permanent(errors.New("no code"))
	}
	if err := w.Ledger.SaveCode(ctx, p.Email, ledger.CodeOTP, p.Code, OTPTTL); err != nil {
		return err
	}
	return w.send(ctx, mail.Message{To: p.Email, Subject: "Your Advancia Pay code: " + p.Code,
		Text: "Your one-time code is " + p.Code + ". It is valid for 10 minutes.\n"})
}

func (w *Workers) email(ctx context.Context, _ *slaq.Job, p Email) error {
	return w.send(ctx, mail.Message{To: p.To, Subject: p.Subject, Text: p.Body})
}

func (w *Workers) paymentNotification(ctx context.Context, _ *slaq.Job, p PaymentNotification) error {
	u, err := w.Ledger.UserByID(ctx, p.UserID)
	if err != nil {
		return permanentIfNotFound(err)
	}
	amount := FormatAmount(p.AmountMinor) + " " + p.Currency
	subject, text := "Payment received: "+amount, "Your payment of "+amount+" ("+p.TransactionID+") is complete.\n"
	if p.Status == ledger.StatusFailed {
		subject, text = "Payment failed: "+amount, "Your payment of "+amount+" ("+p.TransactionID+") failed.\n"
	}
	return w.send(ctx, mail.Message{To: u.Email, Subject: subject, Text: text})
}

// newsletter reads the subscribers and queues one bulk email each (paced at 500/min). With
// no week in its payload (the schedule's job), it is the ISO week the job was enqueued in.
func (w *Workers) newsletter(ctx context.Context, j *slaq.Job, p Newsletter) error {
	if p.Week == "" {
		y, wk := time.UnixMilli(j.CreatedAt).UTC().ISOWeek()
		p.Week = fmt.Sprintf("%d-W%02d", y, wk)
	}
	users, err := w.Ledger.NewsletterUsers(ctx)
	if err != nil {
		return err
	}
	emails := make([]Email, 0, len(users))
	for _, u := range users {
		emails = append(emails, Email{To: u.Email, Subject: "Weekly Update from Advancia Pay",
			Body: "Hello " + u.Name + ",\n\nHere is what happened at Advancia Pay in week " + p.Week + ".\n"})
	}
	for len(emails) > 0 { // bulk enqueues of at most 1,000 jobs each
		n := min(len(emails), 1000)
		if _, err := w.Queue.SendBulkEmails(ctx, emails[:n]); err != nil {
			return err
		}
		emails = emails[n:]
	}
	w.audit(ctx, "info", fmt.Sprintf("newsletter %s queued for %d subscribers", p.Week, len(users)))
	return nil
}
