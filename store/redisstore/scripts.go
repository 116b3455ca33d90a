package redisstore

import (
	"context"
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/redis/rueidis"
)

//go:embed scripts/*.lua
var scriptFS embed.FS

// script is one embedded Lua script, run with EVALSHA and loaded with EVAL on NOSCRIPT.
type script struct {
	name string
	own  string // the script's own file, scripts/<name>.lua
	body string // what runs: scripts/lib.lua, then own
	sha  string // SHA-1 of body
}

// mustScript returns the embedded script name, with scripts/lib.lua (the record codec) in
// front of it.
func mustScript(name string) *script {
	lib, err := scriptFS.ReadFile("scripts/lib.lua")
	if err != nil {
		panic("redisstore: missing embedded scripts/lib.lua") // a build defect, caught by every test
	}
	b, err := scriptFS.ReadFile("scripts/" + name + ".lua")
	if err != nil {
		panic("redisstore: missing embedded script " + name)
	}
	body := string(lib) + "\n" + string(b)
	sum := sha1.Sum([]byte(body))
	return &script{name: name, own: string(b), body: body, sha: hex.EncodeToString(sum[:])}
}

// The scripts, one per state change, plus get, failed and list, which read atomically.
var (
	scriptEnqueue      = mustScript("enqueue")
	scriptFetch        = mustScript("fetch")
	scriptAck          = mustScript("ack")
	scriptExtend       = mustScript("extend")
	scriptRescue       = mustScript("rescue")
	scriptFailed       = mustScript("failed")
	scriptDeleteFailed = mustScript("delete_failed")
	scriptClean        = mustScript("clean")
	scriptCancel       = mustScript("cancel")
	scriptPause        = mustScript("pause")
	scriptGet          = mustScript("get")
	scriptList         = mustScript("list")
	scriptSetRate      = mustScript("set_rate")
)

// allScripts lists every script, for loading and tests.
var allScripts = []*script{
	scriptEnqueue, scriptFetch, scriptAck, scriptExtend, scriptRescue, scriptFailed,
	scriptDeleteFailed, scriptClean, scriptCancel, scriptPause, scriptGet, scriptList, scriptSetRate,
}

// call is one script invocation.
type call struct {
	s    *script
	keys []string
	args []string
}

func (c call) evalsha(b rueidis.Builder) rueidis.Completed {
	return b.Evalsha().Sha1(c.s.sha).Numkeys(int64(len(c.keys))).Key(c.keys...).Arg(c.args...).Build()
}

func (c call) eval(b rueidis.Builder) rueidis.Completed {
	return b.Eval().Script(c.s.body).Numkeys(int64(len(c.keys))).Key(c.keys...).Arg(c.args...).Build()
}

func isNoScript(err error) bool {
	e, ok := rueidis.IsRedisErr(err)
	return ok && e.IsNoScript()
}

// run executes one script call in one round trip (two the first time a server sees it).
func (s *Store) run(ctx context.Context, c call) (rueidis.RedisMessage, error) {
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	m, err := s.client.Do(ctx, c.evalsha(s.client.B())).ToMessage()
	if isNoScript(err) {
		m, err = s.client.Do(ctx, c.eval(s.client.B())).ToMessage()
	}
	if err != nil {
		return m, fmt.Errorf("redisstore: %s script: %w", c.s.name, err)
	}
	return m, nil
}

// runMulti executes script calls pipelined in one round trip per server. A call the server
// rejected with NOSCRIPT did not run, so it is safely sent again with EVAL.
func (s *Store) runMulti(ctx context.Context, calls []call) ([]rueidis.RedisMessage, error) {
	if len(calls) == 1 {
		m, err := s.run(ctx, calls[0])
		return []rueidis.RedisMessage{m}, err
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	cmds := make(rueidis.Commands, len(calls))
	for i, c := range calls {
		cmds[i] = c.evalsha(s.client.B())
	}
	out := make([]rueidis.RedisMessage, len(calls))
	var first error
	for i, r := range s.client.DoMulti(ctx, cmds...) {
		m, err := r.ToMessage()
		if isNoScript(err) {
			m, err = s.client.Do(ctx, calls[i].eval(s.client.B())).ToMessage()
		}
		if err != nil && first == nil {
			first = fmt.Errorf("redisstore: %s script: %w", calls[i].s.name, err)
		}
		out[i] = m
	}
	return out, first
}

// loadScripts loads every script on every node, so the first calls need no EVAL.
func (s *Store) loadScripts(ctx context.Context) error {
	for addr, node := range s.client.Nodes() {
		for _, sc := range allScripts {
			if err := node.Do(ctx, node.B().ScriptLoad().Script(sc.body).Build()).Error(); err != nil {
				return fmt.Errorf("redisstore: load %s script on %s: %w", sc.name, addr, err)
			}
		}
	}
	return nil
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
