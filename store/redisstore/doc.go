// Package redisstore is the distributed [store.Store] on Redis: many worker processes on many
// hosts share one Redis (single server, Cluster or Sentinel), every state change is one atomic
// Lua script, and idle workers block on Redis instead of polling it.
//
// Open it with [New] and [Options] (or [FromEnv] / [ParseURL] for REDIS_URL, REDIS_HOST,
// REDIS_PORT and REDIS_PASSWORD). The client is rueidis, with auto-pipelining on (concurrent
// calls share connections; [Options.NoAutoPipelining] turns it off). Measured side by side
// with go-redis running the same scripts (BenchmarkW1, BenchmarkW2Pair): rueidis had the lower
// enqueue latency in every interleaved run and the higher median bulk-enqueue rate; W1
// processing rates were within the noise of a shared 2-core machine. Auto-pipelining on and
// off were alike on W1-W3; on the W4 burst it was 5x faster to enqueue and to first pickup.
//
// No script touches two tiers. Upward help and elastic lending are decided in the engine,
// which fetches from one tier per call and only then starts the job on a worker of another
// tier, so every script stays within its tier's slot on a Cluster.
//
// # Key layout
//
// Every key of tier N starts with the hash tag "{prefix:N}" (prefix defaults to "slaq"), so a
// tier lives in one Cluster slot and each script touches a single slot:
//
//	{slaq:1}:w        LIST   waiting job ids; LPUSH at the back, RPOP at the front
//	{slaq:1}:d        ZSET   delayed jobs, score RunAt (ms); member = 10 hex digits of a
//	                         sequence number + id, so equal RunAts keep their order
//	{slaq:1}:a        ZSET   active job ids, score LeaseUntil (ms)
//	{slaq:1}:c        ZSET   completed jobs kept for retention, score FinishedAt
//	{slaq:1}:x        ZSET   the same jobs, score FinishedAt + RetainMs (for Clean)
//	{slaq:1}:f        ZSET   failed jobs waiting for the dead-letter queue, score FinishedAt
//	{slaq:1}:m        ZSET   the wake-up marker (one member "m"); Wait blocks on it with BZPOPMIN
//	{slaq:1}:s        HASH   c: completed total, f: failed total, p: paused flag, q: sequence
//	{slaq:1}:j        HASH   the tier's jobs: id -> record, one compact string per job
//	{slaq:1}:t        HASH   the tier's active jobs: id -> StartedAt (ms)
//	{slaq:1}:u:<key>  STRING a unique key: "<holder id>:<expiry ms>", with PX = UniqueTTLMs
//	{slaq:1}:r        HASH   rate limits: type -> "rate:periodMs:burst"
//	{slaq:1}:g        HASH   rate state: type -> GCRA theoretical arrival time (ms)
//	{slaq:1}:h        ZSET   rate-limit lanes: held jobs, scores 0, member type \0 seq id
//	{slaq:1}:l        ZSET   lanes with held jobs: type -> when the lane's head may start
//
// # Rate limits
//
// A limit is per (tier, type), so that its lane and GCRA state live in the tier's slot and
// fetch.lua decides it in the same step as the claim. With no limit in the tier the fetch
// reads one empty HASH and one empty ZSET more than before, and works as it did. Otherwise a
// job popped from the waiting LIST whose type has no start free now, or has a lane already,
// moves to its type's lane (it is never claimed only to be handed back); lanes whose time
// has come are served before the LIST, oldest first, as far as their GCRA allows, so a held
// job keeps its place among its type's jobs and a limited head never holds up other types.
// The fetch returns the earliest lane time (FetchResult.HeldUntil) and the types it held
// back. Counts.Waiting includes held jobs; List of waiting jobs shows the LIST only; Cancel
// finds a held job in its lane.
//
// and, outside the tiers:
//
//	slaq:once:<key>   STRING a [Store.Once] slot: the winner's now (ms), with PX = its ttl
//
// A Once slot names no tier: it is claimed with one SET NX PX (a single command, atomic by
// itself, so no script), and Redis drops it when the ttl has passed on the server's clock (the
// now given to Once is only recorded). Its name has no hash tag of the store's, so its Cluster
// slot is that of the whole name, or of a {tag} the caller's key contains.
//
// A job id's first character is its tier digit ([store.TierOfID]), so a job's tier, and so
// its keys, follow from its id alone: Ack, Get and Cancel take no tier.
//
// A job id is stored once: Enqueue stores nothing for an id the jobs HASH already holds (in
// any state), nor for an id repeated in one call, and reports it Duplicate. So an id in the
// completed or failed ZSET always has its own record there, in that state.
//
// # Unique keys
//
// A unique key is scoped to its tier and key, {prefix:N}:u:<key>, since a Cluster can only
// check it atomically with the enqueue within the tier's slot: the same key in two tiers holds
// two jobs. It is taken when a job with UniqueKey and UniqueTTLMs > 0 is stored (a job dropped
// as a duplicate takes none) and is released when its TTL passes (the expiry in its value is
// compared with the enqueue's now, and PX drops it on the server's clock) or when its holder is
// cancelled, and at no other time: completion, failure, dead-lettering and retention keep it.
//
// # Record
//
// A record is 16 '|'-terminated header fields (state letter, Attempts, RunAt, StartedAt,
// FinishedAt, LeaseUntil, RetainMs, MaxAttempts, TimeoutMs, BackoffMs, CreatedAt, UniqueTTLMs,
// and the lengths of Type, UniqueKey, LastError and Result; zeros are empty), then those four
// strings and the payload, as given, back to back:
//
//	w||1700000000000|||||3|10000|2000|1700000000000||8||||test_job{"n":1}
//
// The state letter is w (waiting), d (delayed), c (completed) or f (failed); a record never
// says "active". One string per job, as a field of a per-tier HASH, costs far less memory
// than a key per job or a HASH per job (a 200-byte payload exceeds hash-max-listpack-value,
// which would turn each job's HASH into a hash table): about 355 bytes per waiting job with a
// 200-byte payload.
//
// The hot path leaves records alone where it can. Enqueue encodes records in Go, and when a
// tier's jobs are all runnable and none has a unique key it checks their ids with one HMGET
// and passes them straight to HSET and LPUSH (no per-job Lua work). Fetch does not rewrite a
// claimed job's record: the job is active because it is in the active ZSET, whose score is
// its LeaseUntil, and its StartedAt is in the started HASH; [Store.Get] reads the three
// together (scripts/get.lua), and ExtendLeases changes only the score. A run's StartedAt is
// the fetch's now, or one more than the previous run's (the record's StartedAt) when that is
// not earlier, so two claims in one millisecond still fence each other's acks. A completion
// of a job with RetainMs 0 deletes the record after one pattern test on its header. Records
// are rewritten, with the codec in scripts/lib.lua, only when a job leaves the active state
// and is kept (retry, snooze, release, fail, a retained completion, rescue; the run's
// StartedAt goes into the record then), and when a delayed job becomes waiting (its state
// letter only).
//
// # Scripts
//
// Every state change is one script in scripts/*.lua, embedded, each opening with a header
// that gives its KEYS, ARGV, reply and time complexity (TestScriptHeaders checks each file's
// own header). They run with EVALSHA (EVAL on NOSCRIPT) and are loaded on every node by [New];
// each has scripts/lib.lua (the record codec) in front of it. Every key a script touches is
// passed in KEYS; none builds a key name, and none touches two tiers:
//
//	enqueue.lua        Enqueue, per tier             O(n · log D); all waiting, no unique key: O(n)
//	fetch.lua          Fetch                         O(limit + promoted · log D); limits: see its header
//	ack.lua            Ack, per tier                 O(n · log A + trimmed · log C)
//	extend.lua         ExtendLeases                  O(n · log A)
//	rescue.lua         Rescue, per SweepBatch        O(m · log A)
//	failed.lua         Failed (read only)            O(log F + limit)
//	delete_failed.lua  DeleteFailed                  O(n · log F)
//	clean.lua          Clean, per SweepBatch         O((c + f) · log N)
//	cancel.lua         Cancel                        O(W) waiting, O(log D + k) delayed
//	pause.lua          SetPaused                     O(1)
//	get.lua            Get (read only)               O(log A)
//	list.lua           List (read only)              O(log N + page); waiting O(d + page)
//	set_rate.lua       SetRateLimit                  O(log L)
//
// The store needs Redis >= 6.2 (RPOP with a count, ZMSCORE).
//
// # Listing and cancelling
//
// [Store.List] pages a ZSET state (delayed, active, completed, failed) with a cursor that
// names the last entry's score and member: the next page starts strictly after it, found
// with ZRANK in O(log n) while the entry is still there with that score, and otherwise by a
// binary search among the entries of that score, O(log n · log k). The waiting LIST has no
// index: its cursor names the last job listed, which the next page finds again with LPOS from
// the pop end, O(d + page) for a job d entries from the pop end (deep pages of a long backlog
// cost more), so claims between pages do not make the walk skip jobs. When that job is no
// longer waiting (claimed, and so is every job listed before it, or cancelled), the next page
// starts again at the pop end. Filtering by type would be O(n) and is not offered.
//
// [Store.Cancel] reads the record (one HGET) to learn the job's unique key, then runs
// cancel.lua with that key in KEYS; the script checks that the record still names it. A
// waiting job leaves the LIST with LREM, O(W) in the waiting jobs W (an operator call, not the
// hot path); a delayed one is found among the delayed entries with its RunAt, O(log D + k).
//
// # Waking workers
//
// Each script that makes work runnable (enqueue, release, rescue, resume, an earlier delayed
// RunAt) adds the marker. [Store.Wait] blocks with BZPOPMIN on it, on rueidis' pool of
// dedicated blocking connections; fetch re-adds the marker while waiting jobs remain, so a
// second process blocked on the same tier wakes too. The marker persists while nobody waits,
// so a wake-up is never lost (Wait is level-triggered). Wait's timeout is kept on the
// process's clock (Redis times blocked clients out only every 1000/hz ms, 100 ms at the
// default hz 10, which would starve a rate-limited lane due in 10 ms): each tier has at most
// one BZPOPMIN in flight per store, shared by its Waits, left in flight when a Wait's own
// time is up, and a marker it takes after its Waits left makes the next Wait return at once.
// Once the store is closed, Wait returns
// an error wrapping [store.ErrClosed], and a Wait blocked when Close is called returns it at
// once. Counts are O(1) reads (LLEN, ZCARD, HMGET) pipelined for all five tiers in one round
// trip per server.
package redisstore
