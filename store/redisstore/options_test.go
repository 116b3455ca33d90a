package redisstore

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want Options
		tls  bool
	}{
		{"redis://localhost", Options{Addrs: []string{"localhost:6379"}}, false},
		{"redis://:secret@10.0.0.1:6380/2", Options{Addrs: []string{"10.0.0.1:6380"}, Password: "secret", DB: 2}, false},
		{"rediss://user:pw@cache.example:6390?prefix=app", Options{Addrs: []string{"cache.example:6390"}, Username: "user", Password: "pw", Prefix: "app"}, true},
		{"redis://s1:26379?addr=s2:26379&sentinel_master=mymaster", Options{Addrs: []string{"s1:26379", "s2:26379"}, SentinelMaster: "mymaster"}, false},
	} {
		got, err := ParseURL(tc.url)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", tc.url, err)
		}
		if (got.TLS != nil) != tc.tls {
			t.Errorf("ParseURL(%q): TLS %v, want %v", tc.url, got.TLS != nil, tc.tls)
		}
		got.TLS = nil
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.url, got, tc.want)
		}
	}
	for _, bad := range []string{"http://x", "redis://x/abc", "redis://x/-1", "::", "redis://:s3kr1t%zz@h", "redis://:s3kr1t@h:port"} {
		_, err := ParseURL(bad)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded, want an error", bad)
		} else if strings.Contains(err.Error(), "s3kr1t") {
			t.Errorf("ParseURL(%q): the error shows the password: %v", bad, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_HOST", "")
	t.Setenv("REDIS_PORT", "")
	t.Setenv("REDIS_PASSWORD", "")
	if o, err := FromEnv(); err != nil || !reflect.DeepEqual(o, Options{}) {
		t.Fatalf("empty env: %+v, %v; want zero Options", o, err)
	}
	t.Setenv("REDIS_HOST", "redis.internal")
	t.Setenv("REDIS_PASSWORD", "pw")
	if o, err := FromEnv(); err != nil || o.Addrs[0] != "redis.internal:6379" || o.Password != "pw" {
		t.Fatalf("REDIS_HOST: %+v, %v", o, err)
	}
	t.Setenv("REDIS_PORT", "notaport")
	if _, err := FromEnv(); err == nil {
		t.Fatal("bad REDIS_PORT accepted")
	}
	t.Setenv("REDIS_URL", "redis://u:p@h:1/3")
	if o, err := FromEnv(); err != nil || o.Addrs[0] != "h:1" || o.DB != 3 || o.Username != "u" {
		t.Fatalf("REDIS_URL: %+v, %v; want it to win over REDIS_HOST", o, err)
	}
}

func TestDefaults(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Addrs: []string{DefaultAddr}, Prefix: DefaultPrefix, ClientName: DefaultClientName,
		PromoteBatch: DefaultPromoteBatch, SweepBatch: DefaultSweepBatch, WaitRetryDelay: DefaultWaitRetryDelay,
		DialTimeout: DefaultDialTimeout, CallTimeout: DefaultCallTimeout}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("defaults = %+v, want %+v", o, want)
	}
	if _, err := (Options{Prefix: "a{b"}).withDefaults(); err == nil {
		t.Fatal("prefix with a brace accepted")
	}
	if o, _ := (Options{WaitRetryDelay: time.Second}).withDefaults(); o.WaitRetryDelay != time.Second {
		t.Fatal("WaitRetryDelay override lost")
	}
}
