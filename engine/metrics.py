"""Prometheus metrics, declared once. Names follow the Prometheus conventions
(`_total` counters, base units in seconds). Campaign labels are bounded by the
number of campaigns, which operations create by hand."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CLAIMS = Counter(
    "nuanxin_claims_total",
    "Claim requests answered, by campaign and outcome",
    ["campaign", "outcome"],
)
REDEMPTIONS = Counter(
    "nuanxin_redemptions_total",
    "Redemption requests answered, by campaign and outcome",
    ["campaign", "outcome"],
)
REVERSALS = Counter(
    "nuanxin_reversals_total", "Reversal requests answered, by outcome", ["outcome"]
)
HTTP_DURATION = Histogram(
    "nuanxin_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REDIS_SCRIPT_DURATION = Histogram(
    "nuanxin_redis_script_duration_seconds",
    "Latency of one Redis Lua script call (or pipeline)",
    ["script"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1),
)
SHED = Counter(
    "nuanxin_requests_shed_total",
    "Claims and redemptions refused with 503 before any decision (overload), by route",
    ["route"],
)
ERRORS = Counter("nuanxin_errors_total", "Unexpected errors, by where they happened", ["where"])

# Stream workers
VOUCHERS_ISSUED = Counter(
    "nuanxin_vouchers_issued_total", "Vouchers written by the issue agent", ["campaign"]
)
ISSUE_LAG = Histogram(
    "nuanxin_issue_lag_seconds",
    "From admission in the API to the voucher row in PostgreSQL",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)
LEDGER_ENTRIES = Counter("nuanxin_ledger_entries_total", "Ledger rows appended, by kind", ["kind"])
DEAD_LETTERS = Counter(
    "nuanxin_dead_letters_total", "Events parked on the dead-letter topic", ["agent"]
)
BATCH_RETRIES = Counter(
    "nuanxin_batch_retries_total", "Batches retried because a backing service failed", ["agent"]
)


def outcome(exc: BaseException | None) -> str:
    """The label for a request's outcome: 'ok' or the problem type's slug."""
    if exc is None:
        return "ok"
    return getattr(exc, "slug", "internal-error")


CONSUMER_LAG = Gauge(
    "nuanxin_consumer_lag",
    "Messages behind the partition's end (the local broker under-reports)",
    ["topic", "partition"],
)
CAMPAIGN_REMAINING = Gauge(
    "nuanxin_campaign_remaining", "Vouchers a campaign can still admit", ["campaign"]
)
CAMPAIGN_QUOTA = Gauge("nuanxin_campaign_quota", "A campaign's quota", ["campaign"])
CAMPAIGN_BUDGET_LEFT = Gauge(
    "nuanxin_campaign_budget_left_fen", "Budget a campaign can still admit, in fen", ["campaign"]
)
CAMPAIGN_BUDGET = Gauge("nuanxin_campaign_budget_fen", "A campaign's budget, in fen", ["campaign"])
CAMPAIGN_ADMITTED = Gauge(
    "nuanxin_campaign_admitted", "Claims admitted so far (from Redis)", ["campaign"]
)
