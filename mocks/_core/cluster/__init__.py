"""Several ``standin serve --redis URL`` replicas serving one sandbox.

How it works (for docs/deploy.md): every tenant is served by one replica at a time, which holds
the tenant's lease in Redis (``standin:lease:<tenant>``: replica, its URL, a fence number; five
seconds, renewed every 1.5 s). Any replica can resolve a credential or a token to its tenant,
because the directory of tenants, their credentials, the issued tokens and the signing keys are
in Redis. A request that reaches a replica not serving its tenant is handed, over plain HTTP, to
the replica that does, and its answer streamed back (event streams included); the first replica
that needs a tenant nobody serves takes its lease and loads it from Redis. Each tenant's whole
world (every API's state, its clock, faults, rate limits, event streams, deadlines) is therefore
the same single-process code as without Redis, so a replica answers as a single process would by
construction, read-your-writes included, whichever replica a client's requests land on. Redis
supplies what must be atomic: leases (``SET NX PX`` and compare-and-set scripts), fenced writes
(a Lua script keeps a write only while the lease still carries the writer's fence, so a replica
that lost a tenant can never overwrite what the new holder acknowledged), and the shared stores.
Nothing is coordinated by a protocol of our own beyond forwarding HTTP.

Failure: a killed replica's tenants move at the next request for them (the replica handing the
request on finds the holder refusing connections and takes the lease over with a
compare-and-set on the stale value), or after five seconds by expiry. Each write is kept in Redis
before its answer leaves, so nothing acknowledged is lost. With Redis unreachable, every request
that needs it answers ``503`` with ``{"error": "sandbox storage unavailable", "detail": ...}``
and ``Retry-After``; ``GET /_sandbox/health`` answers 503 too, so a load balancer takes the
replica out, and the replica recovers by itself when Redis is back.

The trade-off: one tenant's requests are served by one process at a time (its throughput is one
core's), while many tenants spread over the replicas; a request landing on the wrong replica
pays one extra loopback hop.

Settings of a whole API rather than of a tenant (BuildingMinds'
``/_sandbox/buildingminds/processing`` times, Metasys' ``/_sandbox/metasys/streaming`` heartbeat
periods) are kept in Redis (``standin:settings``) before the control plane answers, and read
where they are used (a BuildingMinds request, a Metasys stream or subscription being made), so
they apply on every replica. The default tenant's faults meet a request that reaches no tenant
on whichever replica it lands: a replica not serving the default tenant reads its kept faults
and hands a request one of them may match to the replica that does (which counts its uses).

Modules: :mod:`.persistence` (the persistence, tenant source and token directory),
:mod:`.lease` (leases), :mod:`.scripts` (fenced writes), :mod:`.gateway` (the hand-off),
:mod:`.signals` (what travels up to the gateway), :mod:`.connection`, :mod:`.keys`.
``limits``, ``journal`` and ``events`` keep rate-limit counters, the journal and event streams.
"""
