package slaq_test

import (
	"testing"

	"github.com/slaqhq/slaq"
)

func TestRedactPayload(t *testing.T) {
	t.Parallel()
	fields := []string{"token", "CVC"}
	for _, c := range []struct {
		name, in, want string
		same           bool // the input comes back as is
	}{
		{"top level", `{"email":"a@b.c","token":"s3cret"}`, `{"email":"a@b.c","token":"[redacted]"}`, false},
		{"any case", `{"Token":"s3cret","cvc":123}`, `{"Token":"[redacted]","cvc":"[redacted]"}`, false},
		{"nested objects and arrays", `{"cards":[{"n":"4111","cvc":"999"},{"cvc":{"a":1}}],"x":{"token":null}}`,
			`{"cards":[{"n":"4111","cvc":"[redacted]"},{"cvc":"[redacted]"}],"x":{"token":"[redacted]"}}`, false},
		{"order kept, numbers exact", `{"z":1.50,"token":"t","a":12345678901234567890}`, `{"z":1.50,"token":"[redacted]","a":12345678901234567890}`, false},
		{"a value that looks like a field", `{"note":"token","list":["token"]}`, `{"note":"token","list":["token"]}`, true},
		{"no such field", `{"email":"a@b.c"}`, `{"email":"a@b.c"}`, true},
		{"scalar", `"token"`, `"token"`, true},
		{"null", `null`, `null`, true},
		{"not JSON", `token=s3cret`, `"[redacted]"`, false},
		{"trailing data", `{"a":1} {"token":"s"}`, `"[redacted]"`, false},
		{"empty", ``, ``, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := []byte(c.in)
			got := slaq.RedactPayload(in, fields)
			if string(got) != c.want {
				t.Errorf("RedactPayload(%s) = %s, want %s", c.in, got, c.want)
			}
			if same := len(in) > 0 && len(got) > 0 && &got[0] == &in[0]; same != c.same && len(in) > 0 {
				t.Errorf("returned the input itself: %v, want %v", same, c.same)
			}
		})
	}
	if got := slaq.RedactPayload([]byte(`{"token":"t"}`), nil); string(got) != `{"token":"t"}` {
		t.Errorf("no fields: %s", got)
	}
}

func TestClientRedact(t *testing.T) {
	t.Parallel()
	c, err := slaq.New(openEmbedded(t), slaq.Config{Sensitive: []string{"password"},
		Types: map[string]slaq.TypeConfig{"send_password_reset": {Sensitive: []string{"token"}}}})
	if err != nil {
		t.Fatal(err)
	}
	in := []byte(`{"email":"a@b.c","token":"t0k","password":"pw"}`)
	for typ, want := range map[string]string{
		"send_password_reset": `{"email":"a@b.c","token":"[redacted]","password":"[redacted]"}`,
		"other":               `{"email":"a@b.c","token":"t0k","password":"[redacted]"}`,
	} {
		if got := c.Redact(typ, in); string(got) != want {
			t.Errorf("Redact(%s) = %s, want %s", typ, got, want)
		}
	}
	j := &slaq.Job{ID: "1", Type: "send_password_reset", Payload: in, Result: []byte(`{"sent":true}`)}
	r := c.RedactJob(j)
	if r == j || string(r.Payload) != `{"email":"a@b.c","token":"[redacted]","password":"[redacted]"}` || string(r.Result) != `{"sent":true}` {
		t.Errorf("RedactJob: %+v", r)
	}
	if string(j.Payload) != string(in) {
		t.Error("RedactJob changed the job it was given")
	}
	plain := &slaq.Job{ID: "2", Type: "other", Payload: []byte(`{"a":1}`)}
	if c.RedactJob(plain) != plain {
		t.Error("RedactJob copied a job with nothing sensitive")
	}
}
