"""Injected faults: latency, throttling, errors, eventual consistency, lifecycle failures.

All rules are plain JSON-able dicts set through the control API. The server
consults `Faults` once per API call, before the handler runs, so an injected
error leaves state untouched (like a request AWS rejected at the front door).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from .acm_api import model as acm_model
from .errors import GenericError, Throttled
from .model import declared_errors as lattice_declared
from .tagging_api import model as tagging_model

ANY = "*"
# Operation classes, as AWS throttles them: a token bucket per account and class (and per operation,
# and account-wide, when a rule names those). The Tagging API's operations count as tagging.
WRITES, READS, TAGGING = "writes", "reads", "tagging"
CLASSES = (WRITES, READS, TAGGING)
TAGGING_OPERATIONS = frozenset({"TagResource", "UntagResource", "GetResources", "TagResources", "UntagResources"})


def operation_class(operation: str) -> str:
    if operation in TAGGING_OPERATIONS:
        return TAGGING
    return READS if operation.startswith(("Get", "List", "Describe")) else WRITES  # Describe: ACM


def parse_throttle(spec: str) -> dict[str, dict[str, float]]:
    """`writes=10/s,reads=20/s:40,CreateRule=2` -> rules {key: {"rate", "burst"}}; a key is a class
    (writes, reads, tagging), an operation or "*" (account-wide); `:N` sets the burst (default: 1 s
    worth, at least 1); rate 0 refuses every call (a throttling storm)."""
    rules: dict[str, dict[str, float]] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"throttle: want KEY=RATE[/s][:BURST], got {part!r}")
        rate_text, _, burst_text = value.partition(":")
        try:
            rate = float(rate_text.strip().removesuffix("/s"))
            burst = float(burst_text) if burst_text.strip() else None
        except ValueError:
            raise ValueError(f"throttle: bad number in {part!r}") from None
        rules[key.strip()] = throttle_rule(rate, burst)
    return rules


def number(name: str, value: Any, *, minimum: float = 0.0, maximum: float = math.inf) -> float:
    """A fault parameter that must be a finite JSON number in [minimum, maximum]. Checked when the
    rule is set, so a wrong type is a 400 for the test that sent it, never a 500 on every later call."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not minimum <= value <= maximum:
        raise ValueError(f"{name} must be a number in [{minimum:g}, {maximum:g}], got {value!r}")
    return float(value)


def whole(name: str, value: Any) -> int:
    """A positive integer fault parameter (a count)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def throttle_rule(rate: float, burst: float | None = None, retry_after: float | None = None) -> dict[str, float]:
    rate = number("throttle rate", rate)
    if burst is not None:
        burst = number("throttle burst", burst)
    if burst is None:
        burst = max(rate, 1) if rate > 0 else 0  # 1 s worth; a storm (rate 0) has no burst either
    rule = {"rate": float(rate), "burst": float(burst)}
    if retry_after is not None:
        rule["retryAfter"] = number("throttle retryAfter", retry_after)
    return rule
ERROR_RULE_KEYS = frozenset({"operation", "code", "count", "probability", "message", "retryAfter", "resourceId",
                             "resourceType", "quotaCode", "status"})
ALL_MODELLED = frozenset({
    "ValidationException", "AccessDeniedException", "ResourceNotFoundException", "ConflictException",
    "ServiceQuotaExceededException", "ThrottlingException", "InternalServerException",
})


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float
    tokens: float = -1.0
    last: float = 0.0

    def take(self, now: float) -> float:
        """0 if a token was taken, else seconds until one is available (inf: rate 0)."""
        if self.tokens < 0:
            self.tokens, self.last = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate if self.rate > 0 else math.inf


@dataclass
class Faults:
    rng: random.Random = field(default_factory=random.Random)
    # op or "*" -> {"fixed": s} | {"uniform": [lo, hi]} | {"normal": [mean, sd]} | {"exponential": mean}
    latency: dict[str, dict[str, Any]] = field(default_factory=dict)
    # op, class (writes/reads/tagging) or "*" (account-wide) -> {"rate", "burst", "retryAfter"?};
    # on top of the config's throttle profile (EmulatorConfig.throttle), which a rule here overrides
    throttle: dict[str, dict[str, float]] = field(default_factory=dict)
    # [{"operation", "code", "count"?, "probability"?, "message"?, "retryAfter"?}]
    errors: list[dict[str, Any]] = field(default_factory=list)
    # {"seconds": s, "operations": [Create ops] | None}
    consistency: dict[str, Any] = field(default_factory=dict)
    # op -> {"count", "failureCode", "failureMessage"}: the next transitions end *_FAILED
    lifecycle: dict[str, dict[str, Any]] = field(default_factory=dict)
    _buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)

    def clear(self) -> None:
        self.latency.clear()
        self.throttle.clear()
        self.errors.clear()
        self.consistency.clear()
        self.lifecycle.clear()
        self._buckets.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "throttle": self.throttle,
            "errors": self.errors,
            "consistency": self.consistency,
            "lifecycle": self.lifecycle,
        }

    # -- setters (validate so a typo in a test fails loudly) ------------------------
    def set_latency(self, operation: str, spec: dict[str, Any]) -> None:
        if not spec:
            self.latency.pop(operation, None)
            return
        if len(spec) != 1 or next(iter(spec)) not in ("fixed", "uniform", "normal", "exponential"):
            raise ValueError("latency needs exactly one of fixed, uniform, normal, exponential")
        text("latency operation", operation)
        kind, arg = next(iter(spec.items()))
        if kind in ("uniform", "normal"):
            if not isinstance(arg, list) or len(arg) != 2:
                raise ValueError(f"latency {kind} needs [a, b], got {arg!r}")
            a, b = number(f"latency {kind}[0]", arg[0]), number(f"latency {kind}[1]", arg[1])
            if kind == "uniform" and a > b:
                raise ValueError(f"latency uniform needs [low, high], got {arg!r}")
            arg = [a, b]
        else:
            arg = number(f"latency {kind}", arg)
        self.latency[operation] = {kind: arg}

    def set_throttle(self, operation: str, rate: float | None, burst: float | None = None,
                     retry_after: float | None = None) -> None:
        self._buckets = {k: v for k, v in self._buckets.items() if k[1] != operation}
        if rate is None:
            self.throttle.pop(operation, None)
        else:
            self.throttle[operation] = throttle_rule(rate, burst, retry_after)

    def add_error(self, rule: dict[str, Any]) -> None:
        if "operation" not in rule or "code" not in rule:
            raise ValueError("an error rule needs operation and code")
        unknown = set(rule) - ERROR_RULE_KEYS
        if unknown:
            raise ValueError(f"an error rule has no {', '.join(sorted(unknown))} (known: {', '.join(sorted(ERROR_RULE_KEYS))})")
        checked: dict[str, Any] = {"operation": text("operation", rule["operation"]), "code": text("code", rule["code"])}
        for key in ("message", "resourceId", "resourceType", "quotaCode"):
            if rule.get(key) is not None:
                checked[key] = text(key, rule[key])
        if rule.get("status") is not None:
            checked["status"] = whole("status", rule["status"])
            number("status", checked["status"], minimum=400, maximum=599)
        if rule.get("retryAfter") is not None:
            number("retryAfter", rule["retryAfter"])
            checked["retryAfter"] = rule["retryAfter"]  # as given: the Retry-After header renders it
        if rule.get("probability") is not None:
            checked["probability"] = number("probability", rule["probability"], maximum=1.0)
        if rule.get("count") is not None:
            checked["count"] = whole("count", rule["count"])
        elif "probability" not in checked:
            checked["count"] = 1
        self.errors.append(checked)

    def set_consistency(self, seconds: Any, operations: Any = None) -> None:
        if operations is not None and (not isinstance(operations, list)
                                       or not all(isinstance(o, str) for o in operations)):
            raise ValueError(f"consistency operations must be a list of operation names, got {operations!r}")
        self.consistency = {"seconds": number("consistency seconds", seconds), "operations": operations}

    def set_lifecycle_failure(self, operation: str, count: int, code: str, message: str) -> None:
        self.lifecycle[text("operation", operation)] = {
            "count": whole("count", count), "failureCode": text("failureCode", code),
            "failureMessage": text("failureMessage", message)}

    # -- per-call hooks ---------------------------------------------------------------
    def delay_for(self, operation: str) -> float:
        spec = self.latency.get(operation) or self.latency.get(ANY)
        if not spec:
            return 0.0
        kind, arg = next(iter(spec.items()))
        if kind == "fixed":
            return float(arg)
        if kind == "uniform":
            return self.rng.uniform(arg[0], arg[1])
        if kind == "normal":
            return max(0.0, self.rng.gauss(arg[0], arg[1]))
        return self.rng.expovariate(1 / arg) if arg > 0 else 0.0

    def check_throttle(self, operation: str, account: str,
                       profile: dict[str, dict[str, float]] | None = None) -> None:
        """Take a token from every bucket that covers this call (its operation's, its class's and the
        account-wide one); any empty one answers 429 ThrottlingException with Retry-After (whole
        seconds, as the model's integer retryAfterSeconds), and the call does nothing."""
        now = time.monotonic()
        for key in (operation, operation_class(operation), ANY):
            rule = self.throttle.get(key) or (profile or {}).get(key)
            if rule is None:
                continue
            # Blanket rules respect the model: ops that never throttle (ListTagsForResource,
            # UntagResource) are exempt; a rule naming the op explicitly always applies.
            if key != operation and "ThrottlingException" not in declared_errors(operation):
                continue
            bucket = self._buckets.get((account, key))
            if bucket is None or (bucket.rate, bucket.burst) != (rule["rate"], rule["burst"]):
                bucket = self._buckets[(account, key)] = TokenBucket(rule["rate"], rule["burst"])
            wait = bucket.take(now)
            if wait > 0:
                retry_after = rule.get("retryAfter")
                if retry_after is None:
                    retry_after = 1 if math.isinf(wait) else max(1, math.ceil(wait))
                raise Throttled(retry_after=int(retry_after))

    def check_errors(self, operation: str) -> None:
        for rule in list(self.errors):
            if rule["operation"] not in (operation, ANY):
                continue
            if rule["operation"] == ANY and rule["code"] in ALL_MODELLED and rule["code"] not in declared_errors(operation):
                continue
            if rule.get("count") is not None:
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.errors.remove(rule)
            elif self.rng.random() >= rule["probability"]:
                continue
            raise _error(rule, operation)

    def invisible_for(self, operation: str) -> float:
        c = self.consistency
        if not c or not operation.startswith("Create"):
            return 0.0
        ops = c.get("operations")
        return float(c.get("seconds", 0)) if not ops or operation in ops else 0.0

    def take_lifecycle_failure(self, operation: str) -> dict[str, str] | None:
        rule = self.lifecycle.get(operation)
        if rule is None:
            return None
        rule["count"] -= 1
        if rule["count"] <= 0:
            del self.lifecycle[operation]
        return {"failureCode": rule["failureCode"], "failureMessage": rule["failureMessage"]}

    def return_lifecycle_failure(self, operation: str, failure: dict[str, str]) -> None:
        rule = self.lifecycle.setdefault(operation, {"count": 0, **failure})
        rule["count"] += 1


def declared_errors(operation: str) -> frozenset[str]:
    """The op's modelled errors in Lattice's names: blanket rules treat the Tagging API's
    GetResources (served on the same port) like a Lattice read."""
    if operation in tagging_model.SERVED:
        return tagging_model.declared_as_lattice(operation)
    if operation in acm_model.SERVED:
        return acm_model.declared_as_lattice(operation)
    return lattice_declared(operation)


def _error(rule: dict[str, Any], operation: str) -> GenericError:
    code = rule["code"]
    message = rule.get("message") or f"Injected {code} for {operation}"
    fields: dict[str, Any] = {}
    if code in ("ConflictException", "ResourceNotFoundException"):
        fields = {"resourceId": rule.get("resourceId", "injected"), "resourceType": rule.get("resourceType", "SERVICE")}
    elif code == "ValidationException":
        fields = {"reason": "other"}
    elif code == "ServiceQuotaExceededException":
        fields = {"resourceType": rule.get("resourceType", "SERVICE"), "serviceCode": "vpc-lattice",
                  "quotaCode": rule.get("quotaCode", "injected")}
    elif code == "ThrottlingException":
        fields = {"serviceCode": "vpc-lattice"}
    retry_after = rule.get("retryAfter", 1 if code in ("ThrottlingException", "InternalServerException") else None)
    return GenericError(code, message, retry_after=retry_after, status=rule.get("status"), **fields)
