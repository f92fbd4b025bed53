"""Prometheus metrics, with controller-runtime's names so existing dashboards work.

Everything lives in one `Metrics` object holding its own `CollectorRegistry`
(not the process-global one), so tests and several managers in one process do
not collide. Components receive the small adapter they need (`queue_metrics()`,
the `rest_request` hook, ...) rather than the registry.

`aws_api_*` are the AWS Gateway API Controller's AWS SDK metrics (its `pkg/aws/metrics`): the same
names, types, labels, label values and buckets, so its dashboards and alerts keep working. They are
defined here so `/metrics` always lists them; the AWS layer (`lattice/`) reports through
`Metrics.aws_request` and `Metrics.aws_call` (a `lattice.client.CallObserver`) without importing
Prometheus. What is ours alone is named `latticegw_*`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

if TYPE_CHECKING:
    from lattice.client import AwsCall, AwsRequest

# `_created` series double the scrape size and nothing here reads them.
prometheus_client.disable_created_metrics()

# controller-runtime's reconcile-time buckets (pkg/internal/controller/observe/metrics).
RECONCILE_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9,
    1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
)
# prometheus/client_golang's DefBuckets, which the AWS controller's duration histograms use.
GO_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# its aws_api_call_retries buckets
RETRY_BUCKETS = tuple(float(n) for n in range(11))
# client-go's workqueue buckets: 10^-8 .. 10^1 s.
QUEUE_BUCKETS = tuple(10.0**e for e in range(-8, 2))


RESULTS = ("success", "error", "requeue", "requeue_after")


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        # process_* (CPU, memory, fds), python_info and python_gc_*: what every dashboard's
        # resource panels read (the global registry has them; ours is our own).
        prometheus_client.ProcessCollector(registry=r)
        prometheus_client.PlatformCollector(registry=r)
        prometheus_client.GCCollector(registry=r)
        self.reconcile_total = Counter(
            "controller_runtime_reconcile_total", "Total reconciliations per controller",
            ["controller", "result"], registry=r)
        self.reconcile_errors = Counter(
            "controller_runtime_reconcile_errors_total", "Total reconciliation errors per controller",
            ["controller"], registry=r)
        self.terminal_errors = Counter(
            "controller_runtime_terminal_reconcile_errors_total",
            "Total terminal reconciliation errors per controller", ["controller"], registry=r)
        self.reconcile_panics = Counter(
            "controller_runtime_reconcile_panics_total",
            "Total reconciliations that raised an unexpected exception per controller", ["controller"], registry=r)
        self.reconcile_timeouts = Counter(
            "controller_runtime_reconcile_timeouts_total", "Total reconciliations that timed out per controller",
            ["controller"], registry=r)
        self.reconcile_time = Histogram(
            "controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller",
            ["controller"], buckets=RECONCILE_BUCKETS, registry=r)
        self.max_concurrent = Gauge(
            "controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent reconciles per controller",
            ["controller"], registry=r)
        self.active_workers = Gauge(
            "controller_runtime_active_workers", "Number of currently used workers per controller",
            ["controller"], registry=r)

        self.wq_depth = Gauge("workqueue_depth", "Current depth of workqueue", ["name", "controller"], registry=r)
        self.wq_adds = Counter("workqueue_adds_total", "Total number of adds handled by workqueue",
                               ["name", "controller"], registry=r)
        self.wq_latency = Histogram(
            "workqueue_queue_duration_seconds", "How long in seconds an item stays in workqueue before being requested",
            ["name", "controller"], buckets=QUEUE_BUCKETS, registry=r)
        self.wq_work = Histogram(
            "workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes",
            ["name", "controller"], buckets=QUEUE_BUCKETS, registry=r)
        self.wq_retries = Counter("workqueue_retries_total", "Total number of retries handled by workqueue",
                                  ["name", "controller"], registry=r)
        self._queues: list = []
        r.register(_UnfinishedWorkCollector(self._queues))
        self._aws_rates: list = []  # the Lattice client's Buckets.snapshot, once it is open
        r.register(_AwsRateCollector(self._aws_rates))

        self.leader_status = Gauge(
            "leader_election_master_status",
            "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.",
            ["name"], registry=r)
        self.leader_slowpath_total = Counter(
            "leader_election_slowpath_total", "Total number of slow path exercised in renewing leader leases",
            ["name"], registry=r)

        self.rest_requests = Counter(
            "rest_client_requests_total", "Number of HTTP requests, partitioned by status code, method, and host.",
            ["code", "method", "host"], registry=r)
        self.rest_duration = Histogram(
            "rest_client_request_duration_seconds", "Request latency in seconds. Broken down by verb, and host.",
            ["verb", "host"], registry=r)

        aws_labels = ["service", "operation", "status_code", "error_code"]
        self.aws_calls = Counter(
            "aws_api_calls_total", "AWS API calls (each with its retries), by the last attempt's HTTP status and the error code",
            aws_labels, registry=r)
        self.aws_call_duration = Histogram(
            "aws_api_call_duration_seconds", "AWS API call latency in seconds, retries and the waits between them included",
            ["service", "operation"], buckets=GO_DEFAULT_BUCKETS, registry=r)
        self.aws_call_retries = Histogram(
            "aws_api_call_retries", "Retries per AWS API call",
            ["service", "operation"], buckets=RETRY_BUCKETS, registry=r)
        self.aws_requests = Counter(
            "aws_api_requests_total", "HTTP requests (attempts) made to AWS, by HTTP status and error code", aws_labels, registry=r)
        self.aws_request_duration = Histogram(
            "aws_api_request_duration_seconds", "Latency of one HTTP request to AWS in seconds",
            ["service", "operation"], buckets=GO_DEFAULT_BUCKETS, registry=r)
        self.aws_throttled = Counter(
            "latticegw_aws_throttled_requests_total", "AWS HTTP requests answered with a throttling error",
            ["service", "operation"], registry=r)

        self.informer_objects = Gauge("latticegw_informer_objects", "Objects held in the informer cache",
                                      ["kind"], registry=r)
        self.informer_synced = Gauge("latticegw_informer_synced", "1 once the kind's initial LIST is cached",
                                     ["kind"], registry=r)
        self.watch_events = Counter("latticegw_watch_events_total", "Watch events received", ["kind", "type"],
                                    registry=r)
        self.relists = Counter("latticegw_informer_relists_total", "Full LISTs after the first, by reason",
                               ["kind", "reason"], registry=r)
        self.drift_corrections = Counter(
            "latticegw_drift_corrections_total",
            "Drift checks of converged objects that found Lattice changed behind our back and put it back",
            ["kind"], registry=r)
        self.queue_store_writes = Counter(
            "latticegw_queue_store_writes_total", "Durable queue batches written, by outcome", ["outcome"], registry=r)

    def init_controller(self, controller: str, workers: int) -> None:
        """Every per-controller series at its starting value, as controller-runtime's initMetrics
        does, so `rate(controller_runtime_reconcile_errors_total[5m])` is 0, not absent, before
        the first error."""
        for result in RESULTS:
            self.reconcile_total.labels(controller, result).inc(0)
        for counter in (self.reconcile_errors, self.terminal_errors, self.reconcile_panics, self.reconcile_timeouts):
            counter.labels(controller).inc(0)
        self.reconcile_time.labels(controller)
        self.max_concurrent.labels(controller).set(workers)
        self.active_workers.labels(controller).set(0)

    # ------------------------------------------------------------- adapters
    def queue_metrics(self, queue_name: str, controller: str | None = None) -> QueueMetrics:
        return QueueMetrics(self, queue_name, controller or queue_name)

    def watch_queue(self, queue, queue_name: str) -> None:
        self._queues.append((queue, queue_name))

    def watch_aws_rates(self, snapshot) -> None:
        """`snapshot()` -> {class: {"rate", "ceiling", "waiting", ...}} (lattice.ratelimit.Buckets),
        read at scrape time; a new client replaces the previous one."""
        self._aws_rates[:] = [snapshot]

    def rest_request(self, method: str, code: str, host: str, seconds: float) -> None:
        self.rest_requests.labels(code, method, host).inc()
        self.rest_duration.labels(method, host).observe(seconds)

    def leader(self, name: str, leading: bool) -> None:
        self.leader_status.labels(name).set(1 if leading else 0)

    def leader_slowpath(self, name: str) -> None:
        self.leader_slowpath_total.labels(name).inc()

    def aws_request(self, request: AwsRequest) -> None:
        """One HTTP attempt (lattice.client.CallObserver)."""
        self.aws_requests.labels(request.service, request.operation, request.status_code, request.error_code).inc()
        self.aws_request_duration.labels(request.service, request.operation).observe(request.seconds)
        if request.throttled:
            self.aws_throttled.labels(request.service, request.operation).inc()

    def aws_call(self, call: AwsCall) -> None:
        """One call, its retries included (lattice.client.CallObserver)."""
        self.aws_calls.labels(call.service, call.operation, call.status_code, call.error_code).inc()
        self.aws_call_duration.labels(call.service, call.operation).observe(call.seconds)
        self.aws_call_retries.labels(call.service, call.operation).observe(call.retries)

    def render(self) -> bytes:
        return prometheus_client.generate_latest(self.registry)


class QueueMetrics:
    """The adapter the work queue reports through (see `queue.NullQueueMetrics`)."""

    def __init__(self, m: Metrics, name: str, controller: str) -> None:
        self._depth = m.wq_depth.labels(name, controller)
        self._adds = m.wq_adds.labels(name, controller)
        self._latency = m.wq_latency.labels(name, controller)
        self._work = m.wq_work.labels(name, controller)
        self._retries = m.wq_retries.labels(name, controller)

    def add(self) -> None:
        self._adds.inc()

    def depth(self, n: int) -> None:
        self._depth.set(n)

    def queue_latency(self, seconds: float) -> None:
        self._latency.observe(seconds)

    def work_duration(self, seconds: float) -> None:
        self._work.observe(seconds)

    def retry(self) -> None:
        self._retries.inc()


class _UnfinishedWorkCollector:
    """Computed at scrape time from the live queues, like client-go's `updateUnfinishedWork`."""

    def __init__(self, queues: list) -> None:
        self._queues = queues

    def describe(self):
        return []

    def collect(self):
        unfinished = GaugeMetricFamily(
            "workqueue_unfinished_work_seconds",
            "How many seconds of work has been done that is in progress and hasn't been observed by "
            "work_duration. Large values indicate stuck threads.",
            labels=["name", "controller"])
        longest = GaugeMetricFamily(
            "workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for workqueue been running.",
            labels=["name", "controller"])
        for queue, name in self._queues:
            total, top = queue.unfinished_work()
            unfinished.add_metric([name, name], total)
            longest.add_metric([name, name], top)
        yield unfinished
        yield longest


class _AwsRateCollector:
    """The adaptive AWS send rates per operation class, read from the client at scrape time."""

    def __init__(self, sources: list) -> None:
        self._sources = sources

    def describe(self):
        return []

    def collect(self):
        rate = GaugeMetricFamily("latticegw_aws_send_rate",
                                 "Calls per second the AWS operation class may send now (adaptive)", labels=["class"])
        ceiling = GaugeMetricFamily("latticegw_aws_rate_ceiling",
                                    "The operation class's ceiling: its rate when nothing throttles", labels=["class"])
        waiting = GaugeMetricFamily("latticegw_aws_rate_waiting", "Calls waiting for the class's next token",
                                    labels=["class"])
        for source in self._sources:
            for cls, snap in source().items():
                rate.add_metric([cls], snap["rate"])
                ceiling.add_metric([cls], snap["ceiling"])
                waiting.add_metric([cls], snap.get("waiting", 0.0))
        yield rate
        yield ceiling
        yield waiting
