"""Settings read once from the environment (GOVGRAPH_*), validated at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
ZK_BACKENDS = ("arkworks", "pyecc")
ENVIRONMENTS = ("development", "production")
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
FLAGS = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}
# The embedded token issuer's `iss` and `aud` (without an external OIDC provider).
EMBEDDED_TOKEN_ISSUER = "govgraph://embedded"
EMBEDDED_TOKEN_AUDIENCE = "govgraph"
EXTERNAL_AUTH = ("GOVGRAPH_AUTH_ISSUER", "GOVGRAPH_AUTH_AUDIENCE", "GOVGRAPH_AUTH_JWKS_URL")
MAX_TIMEOUT = 3600.0  # seconds; a longer head or body deadline is no deadline
MIN_SECRET_LENGTH = 16


class ConfigError(ValueError):
    """An environment variable holds a value govgraph cannot use; the message names the variable."""

    def __init__(self, variable: str, value: str, expected: str) -> None:
        super().__init__(f"{variable}={value!r} is invalid: expected {expected}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    zk_backend: str = "arkworks"
    log_level: str = "info"
    environment: str = "development"
    ledger_keys: Path | None = None  # GOVGRAPH_LEDGER_KEYS; None means <data>/keys
    # GOVGRAPH_GATEWAY_DEDUPLICATE: the embedded gateway shares identical query fetches that are in flight.
    gateway_deduplicate: bool = True
    # Slow clients: a request's head must arrive within header_timeout seconds of its first byte (or of the
    # connection), its body within body_timeout seconds of the head; past max_connections, new connections
    # are refused with a 503.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    # Subscriptions through the gateway's /graphql (graphql-transport-ws and SSE): streaming connections open
    # at once, subscriptions per WebSocket, seconds for connection_init, bytes per client message.
    subscription_max_connections: int = 1000
    subscription_max_per_connection: int = 10
    subscription_init_timeout: float = 10.0
    subscription_max_message_bytes: int = 262_144
    # GOVGRAPH_SSE_KEEPALIVE: seconds of silence after which an SSE stream sends a comment line.
    sse_keepalive: float = 12.0
    # GOVGRAPH_TRUSTED_PROXIES: proxy addresses or CIDR blocks whose X-Forwarded-For names the client (for
    # per-address rate limits behind a load balancer); none by default: the header is ignored.
    trusted_proxies: tuple[str, ...] = ()
    # GOVGRAPH_SUBGRAPH_SECRET: in production, only requests carrying it may use the subgraphs' federation
    # fields (_service, _entities); the gateways send it. Unset: in production nobody may.
    subgraph_secret: str | None = field(default=None, repr=False)  # never in a log line
    # An external OIDC provider (GOVGRAPH_AUTH_ISSUER, _AUDIENCE, _JWKS_URL: all three or none); none means
    # the embedded issuer, whose key is auth_issuer_key_path.
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_jwks_url: str | None = None
    # GOVGRAPH_PUBLIC_URL: where clients reach this service (the credential issuer's identifier, the
    # verifier's response URI); unset: http://<host>:<port>.
    public_url: str | None = None
    # GOVGRAPH_VERIFY_WORKERS: processes verifying presentations (0: a thread of the server process).
    verify_workers: int = 2
    # GOVGRAPH_REVOCATION_GRACE: seconds a superseded revocation epoch stays acceptable to the verifier
    # (0: only the latest epoch; default one day).
    revocation_grace: int = 86_400
    # GOVGRAPH_TSA_URL: the RFC 3161 TSA the courts' receipts are time-stamped by; unset: the TSA built into
    # the service (its keys and certificates in <data>/tsa).
    tsa_url: str | None = None
    # GOVGRAPH_OTS_CALENDARS: OpenTimestamps calendar URLs (comma-separated) the courts ledger's checkpoints
    # are anchored through; unset or empty: no anchoring (the default: it needs the network).
    ots_calendars: tuple[str, ...] = ()
    # GOVGRAPH_WITNESSES: other processes' witnesses that cosign this process's ledgers over HTTP, as
    # `agency=submission prefix` pairs, comma-separated (their vkeys in the ledger key directory).
    witnesses: tuple[tuple[str, str], ...] = ()
    # GOVGRAPH_REUSE_PORT: bind with SO_REUSEPORT, so several processes on one machine share one port and the
    # kernel spreads connections between them (replicas without a balancer in front).
    reuse_port: bool = False
    # The edge for front-end teams (docs/frontend.md). GOVGRAPH_CORS_ORIGINS: browser origins allowed to
    # call /graphql (exact scheme://host[:port], comma-separated, or *); none by default.
    # GOVGRAPH_CORS_CREDENTIALS: cookies and credentialed answers (never with *).
    # GOVGRAPH_CORS_MAX_AGE: seconds a browser caches a preflight's answer.
    cors_origins: tuple[str, ...] = ()
    cors_credentials: bool = False
    cors_max_age: int = 600
    # GOVGRAPH_TRUSTED_DOCUMENTS: a manifest of trusted documents (Apollo's or GraphQL Code Generator's
    # format); GOVGRAPH_TRUSTED_DOCUMENTS_ONLY: nothing else runs (needs the manifest).
    trusted_documents: Path | None = None
    trusted_documents_only: bool = False
    # GOVGRAPH_RATE_LIMITS: `who=count/period` rules, comma-separated; who is address, api_key, bearer or
    # role:<name>; period a number with s, m or h (e.g. `address=60/1m,api_key=600/1m,role:clerk=50/1s`).
    rate_limits: tuple[tuple[str, int, float], ...] = ()
    # GOVGRAPH_OTEL_ENDPOINT (else OTEL_EXPORTER_OTLP_ENDPOINT): the OTLP/HTTP collector traces go to; unset:
    # no tracing. OTEL_SERVICE_NAME names the service in them (default govgraph).
    otel_endpoint: str | None = None
    otel_service_name: str = "govgraph"
    # GOVGRAPH_CREDENTIAL_ISSUER: the credential issuer (its GOVGRAPH_PUBLIC_URL) a process without the
    # identity bureau trusts: `govgraph subgraph verifier|welfare|elections` then verifies presentations
    # itself, with the keys that issuer publishes (unset: such a process has no credential verifier).
    credential_issuer: str | None = None

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def ledger_keys_dir(self) -> Path:
        """Where ledger signing keys (<name>.skey, mode 0600) and their verifier keys (<name>.vkey) live."""
        return self.ledger_keys if self.ledger_keys is not None else self.data_dir / "keys"

    @property
    def base_url(self) -> str:
        """The service's public URL, without a trailing slash."""
        return self.public_url if self.public_url is not None else f"http://{self.host}:{self.port}"

    @property
    def auth_external(self) -> bool:
        return self.auth_jwks_url is not None

    @property
    def token_issuer(self) -> str:
        """The `iss` bearer tokens must carry."""
        return self.auth_issuer if self.auth_issuer is not None else EMBEDDED_TOKEN_ISSUER

    @property
    def token_audience(self) -> str:
        """The `aud` bearer tokens must carry."""
        return self.auth_audience if self.auth_audience is not None else EMBEDDED_TOKEN_AUDIENCE

    @property
    def auth_issuer_key_path(self) -> Path:
        """The embedded issuer's ES256 private key (a JWK, mode 0600), created on first use."""
        return self.data_dir / "auth" / "issuer.jwk"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(_non_empty(env, "GOVGRAPH_DATA", "./var")).expanduser()
        database_url = _non_empty(
            env, "GOVGRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir.resolve() / 'govgraph.db'}"
        )
        scheme = database_url.partition("://")[0]
        if scheme not in DATABASE_SCHEMES or "://" not in database_url:
            raise ConfigError(
                "GOVGRAPH_DATABASE_URL",
                database_url,
                "a URL starting with " + " or ".join(f"{s}://" for s in DATABASE_SCHEMES),
            )
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            host=_non_empty(env, "GOVGRAPH_HOST", "127.0.0.1"),
            port=_port(env, "GOVGRAPH_PORT", 8000),
            zk_backend=_choice(env, "GOVGRAPH_ZK_BACKEND", "arkworks", ZK_BACKENDS),
            log_level=_choice(env, "GOVGRAPH_LOG_LEVEL", "info", LOG_LEVELS),
            environment=_choice(env, "GOVGRAPH_ENV", "development", ENVIRONMENTS),
            ledger_keys=Path(_non_empty(env, "GOVGRAPH_LEDGER_KEYS", str(data_dir / "keys"))).expanduser(),
            gateway_deduplicate=FLAGS[_choice(env, "GOVGRAPH_GATEWAY_DEDUPLICATE", "true", tuple(FLAGS))],
            header_timeout=_seconds(env, "GOVGRAPH_HEADER_TIMEOUT", 10.0),
            body_timeout=_seconds(env, "GOVGRAPH_BODY_TIMEOUT", 30.0),
            max_connections=_count(env, "GOVGRAPH_MAX_CONNECTIONS", 1000, maximum=1_000_000),
            subscription_max_connections=_count(
                env, "GOVGRAPH_SUBSCRIPTION_MAX_CONNECTIONS", 1000, maximum=1_000_000
            ),
            subscription_max_per_connection=_count(
                env, "GOVGRAPH_SUBSCRIPTION_MAX_PER_CONNECTION", 10, maximum=10_000
            ),
            subscription_init_timeout=_seconds(env, "GOVGRAPH_SUBSCRIPTION_INIT_TIMEOUT", 10.0),
            subscription_max_message_bytes=_count(
                env, "GOVGRAPH_SUBSCRIPTION_MAX_MESSAGE_BYTES", 262_144, maximum=16_777_216
            ),
            sse_keepalive=_seconds(env, "GOVGRAPH_SSE_KEEPALIVE", 12.0),
            trusted_proxies=_networks(env, "GOVGRAPH_TRUSTED_PROXIES"),
            subgraph_secret=_secret(env, "GOVGRAPH_SUBGRAPH_SECRET"),
            public_url=_public_url(env, "GOVGRAPH_PUBLIC_URL"),
            verify_workers=_workers(env, "GOVGRAPH_VERIFY_WORKERS", 2),
            revocation_grace=_grace(env, "GOVGRAPH_REVOCATION_GRACE", 86_400),
            tsa_url=_public_url(env, "GOVGRAPH_TSA_URL"),
            ots_calendars=_urls(env, "GOVGRAPH_OTS_CALENDARS"),
            witnesses=_witnesses(env, "GOVGRAPH_WITNESSES"),
            reuse_port=FLAGS[_choice(env, "GOVGRAPH_REUSE_PORT", "false", tuple(FLAGS))],
            **_edge(env),
            credential_issuer=_public_url(env, "GOVGRAPH_CREDENTIAL_ISSUER"),
            **_external_auth(env, https_only=env.get("GOVGRAPH_ENV", "").strip().lower() == "production"),
        )


def _non_empty(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name)
    if value is None:
        return default
    if not value.strip():
        raise ConfigError(name, value, "a non-empty value")
    return value.strip()


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or not 0 <= int(raw) <= 65535:
        raise ConfigError(name, raw, "a TCP port number 0-65535")
    return int(raw)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    text = raw.strip()
    # Plain decimals only: float() would also take "nan", "inf" and "1e400".
    if not re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,3})?", text) or not 0 < float(text) <= MAX_TIMEOUT:
        raise ConfigError(name, raw, f"a number of seconds above 0 and at most {MAX_TIMEOUT:g}")
    return float(text)


def _count(env: Mapping[str, str], name: str, default: int, *, maximum: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,7}", text) or not 1 <= int(text) <= maximum:
        raise ConfigError(name, raw, f"a whole number from 1 to {maximum}")
    return int(text)


def _witnesses(env: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return ()
    pairs = []
    for item in raw.split(","):
        agency, _, prefix = item.strip().partition("=")
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,63}", agency) or not re.fullmatch(
            r"https?://[^/?#\s@]+(/[^?#\s]*)?", prefix
        ):
            raise ConfigError(name, raw, "comma-separated agency=http(s)://witness-submission-prefix pairs")
        pairs.append((agency, prefix.rstrip("/")))
    if len({agency for agency, _ in pairs}) != len(pairs):
        raise ConfigError(name, raw, "each agency once")
    return tuple(pairs)


def _secret(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw is None:
        return None
    text = raw.strip()
    if len(text) < MIN_SECRET_LENGTH or not text.isascii() or not text.isprintable():
        # The value is never echoed: it is a secret, and the error may end up in a log.
        raise ConfigError(name, "<redacted>", f"at least {MIN_SECRET_LENGTH} printable ASCII characters")
    return text


def _public_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw is None:
        return None
    url = raw.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^/?#\s@]+(/[^?#\s]*)?", url):
        raise ConfigError(name, raw, "an http:// or https:// URL without query or fragment")
    return url


def _grace(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,8}", text) or int(text) > 90 * 86_400:
        raise ConfigError(name, raw, "a whole number of seconds from 0 to 7776000 (90 days)")
    return int(text)


def _urls(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name, "")
    urls = tuple(part.strip() for part in raw.split(",") if part.strip())
    for url in urls:
        _public_url({name: url}, name)
    return urls


def _workers(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,2}", text) or int(text) > 64:
        raise ConfigError(name, raw, "a whole number from 0 to 64")
    return int(text)


def _external_auth(env: Mapping[str, str], *, https_only: bool) -> dict[str, str]:
    values = {name: _non_empty(env, name, "") for name in EXTERNAL_AUTH if name in env}
    if not values:
        return {}
    for name in EXTERNAL_AUTH:
        if name not in values:
            raise ConfigError(name, "<unset>", "a value: " + ", ".join(EXTERNAL_AUTH) + " are set together")
    for name in ("GOVGRAPH_AUTH_ISSUER", "GOVGRAPH_AUTH_AUDIENCE"):
        if len(values[name]) > 1024 or not values[name].isprintable():
            raise ConfigError(name, values[name][:80], "printable text of at most 1024 characters")
    url = values["GOVGRAPH_AUTH_JWKS_URL"]
    schemes = ("https",) if https_only else ("https", "http")
    if not re.fullmatch(r"(" + "|".join(schemes) + r")://[^/?#\s@]+(/[^\s]*)?", url):
        raise ConfigError(
            "GOVGRAPH_AUTH_JWKS_URL", url, "an " + " or ".join(f"{s}://" for s in schemes) + " URL"
        )
    return {
        "auth_issuer": values["GOVGRAPH_AUTH_ISSUER"],
        "auth_audience": values["GOVGRAPH_AUTH_AUDIENCE"],
        "auth_jwks_url": url,
    }


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in allowed:
        raise ConfigError(name, raw, "one of " + ", ".join(allowed))
    return value


def _edge(env: Mapping[str, str]) -> dict:
    """The settings of the edge for front-end teams: CORS, persisted documents, rate limits, tracing."""
    origins = _origins(env, "GOVGRAPH_CORS_ORIGINS")
    credentials = FLAGS[_choice(env, "GOVGRAPH_CORS_CREDENTIALS", "false", tuple(FLAGS))]
    if credentials and "*" in origins:
        raise ConfigError(
            "GOVGRAPH_CORS_CREDENTIALS",
            env["GOVGRAPH_CORS_CREDENTIALS"],
            "false while GOVGRAPH_CORS_ORIGINS is *: credentials are allowed only for listed origins",
        )
    max_age = env.get("GOVGRAPH_CORS_MAX_AGE")
    if max_age is not None and (not re.fullmatch(r"[0-9]{1,5}", max_age.strip()) or int(max_age) > 86_400):
        raise ConfigError("GOVGRAPH_CORS_MAX_AGE", max_age, "a whole number of seconds from 0 to 86400")
    # Blank is unset: compose passes the variable through empty when the host does not set it.
    manifest = env.get("GOVGRAPH_TRUSTED_DOCUMENTS", "").strip() or None
    only = FLAGS[_choice(env, "GOVGRAPH_TRUSTED_DOCUMENTS_ONLY", "false", tuple(FLAGS))]
    if only and manifest is None:
        raise ConfigError(
            "GOVGRAPH_TRUSTED_DOCUMENTS_ONLY",
            env["GOVGRAPH_TRUSTED_DOCUMENTS_ONLY"],
            "GOVGRAPH_TRUSTED_DOCUMENTS set too",
        )
    own = bool(env.get("GOVGRAPH_OTEL_ENDPOINT", "").strip())  # blank: unset, as compose passes it
    name = "GOVGRAPH_OTEL_ENDPOINT" if own else "OTEL_EXPORTER_OTLP_ENDPOINT"
    endpoint = env.get(name)
    service = env.get("OTEL_SERVICE_NAME", "govgraph").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", service):
        raise ConfigError("OTEL_SERVICE_NAME", service, "a name of letters, digits, '.', '_' or '-'")
    return {
        "cors_origins": origins,
        "cors_credentials": credentials,
        "cors_max_age": 600 if max_age is None else int(max_age),
        "trusted_documents": None if manifest is None else Path(manifest).expanduser(),
        "trusted_documents_only": only,
        "rate_limits": _rate_limits(env, "GOVGRAPH_RATE_LIMITS"),
        "otel_endpoint": _public_url({name: endpoint}, name) if endpoint and endpoint.strip() else None,
        "otel_service_name": service,
    }


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name, "")
    origins = tuple(part.strip() for part in raw.split(",") if part.strip())
    for origin in origins:
        # An origin is scheme://host[:port] exactly as a browser sends it: no path, no trailing slash.
        if origin != "*" and not re.fullmatch(
            r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-fA-F:]+\](:[0-9]{1,5})?", origin
        ):
            raise ConfigError(
                name,
                raw,
                "comma-separated origins like https://app.example.org or http://localhost:5173, or *",
            )
    if "*" in origins and len(origins) > 1:
        raise ConfigError(name, raw, "either * alone or a list of origins")
    return origins


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name, "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    try:
        return tuple(str(ipaddress.ip_network(item, strict=False)) for item in items)
    except ValueError:
        raise ConfigError(
            name, raw, "comma-separated IP addresses or CIDR blocks, e.g. 10.0.0.0/8,::1"
        ) from None


_PERIOD_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def _rate_limits(env: Mapping[str, str], name: str) -> tuple[tuple[str, int, float], ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return ()
    expected = (
        "comma-separated who=count/period rules (who: address, api_key, bearer or role:<name>;"
        " period: e.g. 1s, 0.5s, 1m, 1h)"
    )
    rules = []
    for item in raw.split(","):
        match = re.fullmatch(
            r"\s*(address|api_key|bearer|role:[A-Za-z0-9_.:-]{1,64})=([0-9]{1,7})/([0-9]{1,5}(?:\.[0-9]{1,3})?)([smh])\s*",
            item,
        )
        if match is None:
            raise ConfigError(name, raw, expected)
        who, count, amount, unit = match.groups()
        period = float(amount) * _PERIOD_UNITS[unit]
        if int(count) < 1 or period <= 0:
            raise ConfigError(name, raw, "a count of at least 1 and a period above 0")
        rules.append((who, int(count), period))
    if len({who for who, _, _ in rules}) != len(rules):
        raise ConfigError(name, raw, "each who once")
    return tuple(rules)
