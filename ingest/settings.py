"""settings.toml: read, validate and default (CONTRACT.md section 3)."""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from ingest.errors import InputError

SETTINGS_FILE = "settings.toml"


@dataclass(frozen=True)
class LateFee:
    kind: str = "fixed"  # fixed | percent | none
    value: Decimal = Decimal("5.00")


@dataclass(frozen=True)
class RefundUnusedDays:
    monthly: bool = True
    anniversary: bool = False


@dataclass(frozen=True)
class Operator:
    """Who issues the documents: printed on every invoice and credit note (docs/documents.md)."""

    legal_name: str = "Fiber network operator"
    address: str = ""  # lines separated by newlines or `;`
    registration_id: str = ""  # VAT or company registration number
    email: str = ""
    payment_instructions: str = ""  # e.g. the bank account to pay to
    payment_reference: str = "{number}"  # the transfer reference; {number} is the number
    logo: str = ""  # a PNG, JPEG or SVG file, relative to the input folder (or absolute)


@dataclass(frozen=True)
class Email:
    """Where documents are e-mailed from (docs/documents.md). The SMTP user and password
    come from the environment (FIBERBILL_SMTP_USER, FIBERBILL_SMTP_PASSWORD), never from
    settings.toml."""

    host: str
    sender: str
    port: int = 587
    tls: str = "starttls"  # starttls | ssl | none


@dataclass(frozen=True)
class Settings:
    timezone: str = "UTC"
    payment_terms_days: int = 14
    grace_days: int = 7
    late_fee: LateFee = field(default_factory=LateFee)
    invoice_prefix: str = "INV"
    credit_note_prefix: str = "CN"
    auto_finalize: bool = True
    refund_unused_days: RefundUnusedDays = field(default_factory=RefundUnusedDays)
    # collection through Stripe (not in the contract's list; see docs/collections.md)
    retry_days: tuple[int, ...] = (3, 5, 7)
    stripe_requests_per_second: float = 20.0
    # the documents' issuer (not in the contract's list; see docs/documents.md)
    operator: Operator = field(default_factory=Operator)
    email: Email | None = None  # None: documents are not e-mailed
    # the days a provider has to pay a wholesale spec (docs/open-access.md); None: the
    # customers' payment_terms_days
    wholesale_payment_terms_days: int | None = None

    @property
    def wholesale_terms_days(self) -> int:
        """The payment terms a wholesale spec states, in days after the day it is made."""
        if self.wholesale_payment_terms_days is None:
            return self.payment_terms_days
        return self.wholesale_payment_terms_days

    def as_dbt_vars(self) -> dict:
        """Settings as plain JSON-able values: saved with each run (ops.settings); dbt gets
        the ones its models read (fiberbill/run.py DBT_SETTINGS)."""
        data = asdict(self)
        data["late_fee"]["value"] = str(self.late_fee.value)
        return data


def _fail(key: str, message: str) -> InputError:
    return InputError(f"{SETTINGS_FILE}: {key}: {message}")


def _expect_bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"expected true or false, got {value!r}")
    return value


def _expect_days(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(key, f"expected a whole number of days >= 0, got {value!r}")
    return value


def _expect_prefix(key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise _fail(key, f"expected a non-empty prefix without spaces, got {value!r}")
    return value


def _expect_table(key: str, value: object, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise _fail(key, f"expected a table, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(f"{key}.{unknown[0]}", "unknown key")
    return value


def parse_settings(raw: dict) -> Settings:
    """Validate a parsed TOML document; raise InputError naming the key on any problem."""
    known = {f for f in Settings.__dataclass_fields__}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(unknown[0], f"unknown key (known keys: {', '.join(sorted(known))})")
    kwargs: dict = {}
    if "timezone" in raw:
        tz = raw["timezone"]
        try:
            if not isinstance(tz, str) or not tz:
                raise ValueError
            zoneinfo.ZoneInfo(tz)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise _fail("timezone", f"not an IANA time zone: {tz!r}") from None
        kwargs["timezone"] = tz
    for key in ("payment_terms_days", "grace_days", "wholesale_payment_terms_days"):
        if raw.get(key) is not None:  # None: a run's saved settings without the key
            kwargs[key] = _expect_days(key, raw[key])
    for key in ("invoice_prefix", "credit_note_prefix"):
        if key in raw:
            kwargs[key] = _expect_prefix(key, raw[key])
    if "auto_finalize" in raw:
        kwargs["auto_finalize"] = _expect_bool("auto_finalize", raw["auto_finalize"])
    if "late_fee" in raw:
        fee = _expect_table("late_fee", raw["late_fee"], {"kind", "value"})
        kind = fee.get("kind", "fixed")
        if kind not in ("fixed", "percent", "none"):
            raise _fail("late_fee.kind", f"expected fixed, percent or none, got {kind!r}")
        value = fee.get("value", 0 if kind == "none" else None)
        if value is None:
            raise _fail("late_fee.value", f"required when kind is {kind}")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _fail("late_fee.value", f"expected a number, got {value!r}")
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            raise _fail("late_fee.value", f"expected a number, got {value!r}") from None
        if not amount.is_finite() or amount < 0:
            raise _fail("late_fee.value", f"expected a number >= 0, got {value!r}")
        if kind == "fixed" and amount != amount.quantize(Decimal("0.01")):
            raise _fail("late_fee.value", f"a fixed fee has at most 2 decimals, got {value!r}")
        kwargs["late_fee"] = LateFee(kind=kind, value=amount)
    if "refund_unused_days" in raw:
        refund = _expect_table(
            "refund_unused_days", raw["refund_unused_days"], {"monthly", "anniversary"}
        )
        defaults = RefundUnusedDays()
        kwargs["refund_unused_days"] = RefundUnusedDays(
            monthly=_expect_bool(
                "refund_unused_days.monthly", refund.get("monthly", defaults.monthly)
            ),
            anniversary=_expect_bool(
                "refund_unused_days.anniversary", refund.get("anniversary", defaults.anniversary)
            ),
        )
    if "retry_days" in raw:
        days = raw["retry_days"]
        if not isinstance(days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in days
        ):
            raise _fail("retry_days", f"expected a list of whole days > 0, got {days!r}")
        if days != sorted(set(days)):
            raise _fail("retry_days", f"expected increasing days, got {days!r}")
        kwargs["retry_days"] = tuple(days)
    if "stripe_requests_per_second" in raw:
        rate = raw["stripe_requests_per_second"]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1000:
            raise _fail(
                "stripe_requests_per_second", f"expected a number in (0, 1000], got {rate!r}"
            )
        kwargs["stripe_requests_per_second"] = float(rate)
    if "operator" in raw:
        kwargs["operator"] = _parse_operator(raw["operator"])
    if raw.get("email") is not None:
        kwargs["email"] = _parse_email(raw["email"])
    return Settings(**kwargs)


def _parse_email(value: object) -> Email:
    table = _expect_table("email", value, set(Email.__dataclass_fields__))
    for key in ("host", "sender"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise _fail(f"email.{key}", f"required text, got {table.get(key)!r}")
    if "@" not in table["sender"]:
        raise _fail("email.sender", f"expected an e-mail address, got {table['sender']!r}")
    port = table.get("port", 587)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise _fail("email.port", f"expected a port number, got {port!r}")
    tls = table.get("tls", "starttls")
    if tls not in ("starttls", "ssl", "none"):
        raise _fail("email.tls", f"expected starttls, ssl or none, got {tls!r}")
    return Email(host=table["host"], sender=table["sender"], port=port, tls=tls)


def _parse_operator(value: object) -> Operator:
    fields = Operator.__dataclass_fields__
    table = _expect_table("operator", value, set(fields))
    for key, text in table.items():
        if not isinstance(text, str):
            raise _fail(f"operator.{key}", f"expected text, got {text!r}")
    if "{number}" not in table.get("payment_reference", "{number}"):
        raise _fail("operator.payment_reference", "must contain {number}")
    if "legal_name" in table and not table["legal_name"].strip():
        raise _fail("operator.legal_name", "must not be empty")
    return Operator(**table)


def load_settings(data_dir: Path) -> Settings:
    """Read DIR/settings.toml if present; defaults otherwise."""
    path = Path(data_dir) / SETTINGS_FILE
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{SETTINGS_FILE}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise InputError(f"{SETTINGS_FILE}: cannot be read: {exc.strerror}") from None
    return _resolve_logo(parse_settings(raw), Path(data_dir))


LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")


def _resolve_logo(settings: Settings, data_dir: Path) -> Settings:
    """The operator's logo as an absolute path to a file that exists, or a whole-run error."""
    logo = settings.operator.logo
    if not logo:
        return settings
    path = (data_dir / logo).resolve()
    if path.suffix.lower() not in LOGO_SUFFIXES:
        raise _fail("operator.logo", f"expected a {', '.join(LOGO_SUFFIXES)} file, got {logo!r}")
    if not path.is_file():
        raise _fail("operator.logo", f"no such file: {path}")
    operator = replace(settings.operator, logo=str(path))
    return replace(settings, operator=operator)
