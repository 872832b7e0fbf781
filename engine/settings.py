"""The one settings object. Built once at a process edge and passed in."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.domain.webhooks import IPNetwork, trusted_networks


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NUANXIN_", extra="ignore")

    # URLs may carry passwords, so they are secrets: never printed with the settings.
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    redis_max_connections: int = 64
    # Refuse a script run whose keys span hash slots, as a Redis Cluster would: the test
    # stacks turn it on, so the suite on one Redis catches what a cluster would refuse.
    redis_check_slots: bool = False
    # Replicas that must confirm each decision (admission, redemption, ...) before it is
    # answered as made: with Redis's asynchronous replication, a failover would otherwise
    # lose what a master acknowledged just before it died (docs/DEPLOYMENT.md). 0: none.
    # A master whose replicas stay away then answers nothing: 503 until one is back.
    redis_wait_replicas: int = 0
    redis_wait_timeout_ms: int = 500
    database_url: SecretStr = SecretStr("postgresql://nuanxin@127.0.0.1:5432/nuanxin")
    database_pool_size: int = 8
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Whether the log keeps what it acknowledged across a broker's restart: false for the
    # local memory-only broker, which `nuanxin up` and /healthz then say plainly (the
    # engine drives a lost log again from Redis and PostgreSQL; docs/DEPLOYMENT.md).
    log_durable: bool = True
    # The bundled local broker has no idempotent-producer support; a real cluster should.
    kafka_idempotent_producer: bool = False
    kafka_produce_timeout_s: float = 5.0
    kafka_session_timeout_s: float = 10.0
    # SASL/SCRAM towards a broker that demands it (docker-compose's does); empty: none.
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    topic_prefix: str = "nuanxin"
    topic_partitions: int = 4
    # Copies of each topic the brokers keep, and how many must have an event before a
    # producer with acks=all is answered (the local broker keeps one; a cluster 3 and 2).
    topic_replication_factor: int = 1
    topic_min_insync_replicas: int = 1

    ops_token: SecretStr = SecretStr("")
    # HMAC keys of worker bearer tokens (engine.domain.tokens): a JSON file
    # {"active": kid, "keys": {kid: base64}}; the union's app may hold the same file to mint.
    worker_token_keys_file: Path | None = None
    worker_token_keys_json: SecretStr | None = None
    # JSON file {"active": kid, "keys": {kid: base64 seed}} of voucher-code signing keys.
    signing_keys_file: Path | None = None
    # Or the keys themselves, from a secret store through the environment (these win).
    signing_keys_json: SecretStr | None = None
    # Keys that authenticate events on the log (engine.domain.event_auth): a JSON file
    # {"active": kid, "keys": {kid: base64}} shared by the API and the stream workers.
    event_keys_file: Path | None = None
    event_keys_json: SecretStr | None = None
    worker_token_ttl_s: int = 3600

    max_body_bytes: int = 64 * 1024
    max_bulk_body_bytes: int = 4 * 1024 * 1024
    # A request body that stalls this long between chunks is refused (slow clients).
    body_chunk_timeout_s: float = 10.0
    # ...and one that takes longer than this in all, however it trickles in.
    body_total_timeout_s: float = 30.0
    # How far back an offline terminal's recorded time may lie before its upload.
    offline_max_age_s: int = 24 * 3600
    # How long an Idempotency-Key stays bound to the request it came with (engine/domain/
    # idempotency.py): past an offline terminal's oldest upload, with a day to spare.
    idempotency_key_life_s: int = 48 * 3600
    # Claims one batch issues: each partition's share of a fetch is cut into batches of
    # this many, and a fetch's batches are issued at once (engine/stream/issuer.py).
    issue_batch_size: int = 500
    # Bytes of events the engine's producer gathers per partition before a send must wait
    # for the broker: a batch's voucher.issued events fit in one (the client's default,
    # 16 KiB, holds about 35 and makes the rest wait a round trip each).
    stream_producer_batch_bytes: int = 512 * 1024
    issue_batch_window_s: float = 0.05
    # How long the issuer and the ledger gather a burst's fetches into one batch (up to a
    # batch per partition): a batch's round trips and transaction cost the same for 20
    # events as for 500.
    stream_gather_s: float = 0.05
    # How long the cash-out watch gathers redemptions before judging their windows: what
    # a case may wait, against how often a busy store's window is read again.
    watch_gather_s: float = 1.0
    expiry_interval_s: float = 5.0
    # A record admitted but not settled (API died before the broker answered) is released
    # after this long; it must exceed what an API waits for the broker (produce timeout).
    unsettled_after_s: float = 30.0
    # How long an acknowledged decision's confirmation waits to go to Redis with others
    # (0: the next event-loop turn). The fault tests lengthen it to kill an API process
    # between a broker's acknowledgement and its confirmation.
    confirm_delay_s: float = 0.0
    # How long an API process answers a sold-out campaign from memory (0: never): stock
    # that comes back another way is offered again within this long (domain/sold_out.py).
    sold_out_memory_s: float = 1.0
    # Claims and redemptions one API process works on at once; past this it answers 503
    # with Retry-After before deciding anything, so the accepted keep their latency.
    max_hot_in_flight: int = 256
    # Claims and redemptions answered by the thin ASGI layer (engine/api/hot_routes.py);
    # off, every request goes through the framework's routes: the same answers, more CPU.
    hot_routes: bool = True
    # Requests per minute one worker (token subject) or one merchant API key may make.
    worker_requests_per_min: int = 120
    merchant_key_requests_per_min: int = 30_000
    # How long a merchant key's identity (or a revoked key's tombstone) stays cached.
    merchant_key_cache_s: int = 3600
    # Wrong merchant keys or ops tokens one client address may present per minute before
    # it is refused without a database look-up.
    credential_failures_per_min: int = 30
    # Proxies whose X-Forwarded-For names the client (comma-separated addresses or networks,
    # '*' for any). Empty: none, so the address the throttles count is the connection's,
    # and no client can choose it by sending the header (docs/DEPLOYMENT.md).
    forwarded_allow_ips: str = ""
    repair_interval_s: float = 5.0
    webhook_interval_s: float = 1.0
    webhook_base_delay_s: float = 5.0
    webhook_max_attempts: int = 12
    webhook_timeout_s: float = 5.0
    # Plain http:// webhook URLs only where the receiver is on a trusted network (tests).
    webhook_allow_http: bool = False
    # Webhooks reach public addresses only; these networks (comma-separated, e.g. a test
    # receiver on 127.0.0.77 or an internal gateway) are allowed even though private.
    webhook_trusted_networks: str = ""

    # The stream worker's Prometheus endpoint (0: none). Loopback unless told otherwise.
    stream_metrics_port: int = 0
    stream_metrics_addr: str = "127.0.0.1"

    state_dir: Path = Field(default=Path(".nuanxin"))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Settings from NUANXIN_* variables given as a mapping (e.g. a stack.env file)."""
        prefix = "NUANXIN_"
        fields = {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}
        return cls.model_validate(fields)

    @property
    def webhook_trusted(self) -> tuple[IPNetwork, ...]:
        return trusted_networks(self.webhook_trusted_networks)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}.{name}"
