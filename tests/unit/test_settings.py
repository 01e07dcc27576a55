"""settings.toml: defaults, valid values, and one clear error per bad key (contract §3)."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
import yaml

from fiberbill.dbt import DBT_PROJECT_DIR
from fiberbill.run import model_vars
from ingest.errors import InputError
from ingest.settings import Settings, load_settings, parse_settings


def test_an_absent_settings_file_gives_the_contract_defaults(tmp_path):
    s = load_settings(tmp_path)
    assert s == Settings()
    assert (s.timezone, s.payment_terms_days, s.grace_days) == ("UTC", 14, 7)
    assert (s.late_fee.kind, s.late_fee.value) == ("fixed", Decimal("5.00"))
    assert (s.invoice_prefix, s.credit_note_prefix, s.auto_finalize) == ("INV", "CN", True)
    assert (s.refund_unused_days.monthly, s.refund_unused_days.anniversary) == (True, False)


def test_every_documented_key_is_read(tmp_path):
    (tmp_path / "settings.toml").write_text(
        'timezone = "Europe/Oslo"\npayment_terms_days = 30\ngrace_days = 0\n'
        'late_fee = { kind = "percent", value = 2 }\ninvoice_prefix = "F"\n'
        'credit_note_prefix = "K"\nauto_finalize = false\n'
        "refund_unused_days = { monthly = false, anniversary = true }\n"
    )
    s = load_settings(tmp_path)
    assert s.timezone == "Europe/Oslo" and s.payment_terms_days == 30 and s.grace_days == 0
    assert (s.late_fee.kind, s.late_fee.value) == ("percent", Decimal("2"))
    assert (s.invoice_prefix, s.credit_note_prefix, s.auto_finalize) == ("F", "K", False)
    assert (s.refund_unused_days.monthly, s.refund_unused_days.anniversary) == (False, True)


def test_collection_keys_have_defaults_and_are_read():
    assert (Settings().retry_days, Settings().stripe_requests_per_second) == ((3, 5, 7), 20.0)
    s = parse_settings({"retry_days": [2, 4], "stripe_requests_per_second": 5})
    assert (s.retry_days, s.stripe_requests_per_second) == ((2, 4), 5.0)
    assert parse_settings({"retry_days": []}).retry_days == ()


def test_wholesale_terms_default_to_the_customers_terms_and_survive_a_saved_run():
    assert parse_settings({"payment_terms_days": 10}).wholesale_terms_days == 10
    s = parse_settings({"payment_terms_days": 10, "wholesale_payment_terms_days": 30})
    assert s.wholesale_terms_days == 30
    # a run's saved settings (ops.settings) are read back as they were written
    assert parse_settings(json.loads(json.dumps(Settings().as_dbt_vars()))) == Settings()
    assert parse_settings(json.loads(json.dumps(s.as_dbt_vars()))).wholesale_terms_days == 30


def test_a_partial_refund_table_keeps_the_other_default():
    s = parse_settings({"refund_unused_days": {"anniversary": True}})
    assert (s.refund_unused_days.monthly, s.refund_unused_days.anniversary) == (True, True)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"timezone": "Mars/Base"}, "settings.toml: timezone: not an IANA time zone"),
        ({"payment_terms_days": -1}, "settings.toml: payment_terms_days: expected a whole"),
        ({"grace_days": "7"}, "settings.toml: grace_days: expected a whole"),
        ({"grace_days": True}, "settings.toml: grace_days: expected a whole"),
        ({"late_fee": {"kind": "weekly"}}, "settings.toml: late_fee.kind: expected fixed"),
        ({"late_fee": {"kind": "fixed", "value": -5}}, "late_fee.value: expected a number >= 0"),
        ({"late_fee": {"kind": "fixed", "value": 5.001}}, "late_fee.value: a fixed fee"),
        ({"late_fee": {"kind": "fixed"}}, "late_fee.value: required when kind is fixed"),
        ({"late_fee": {"kind": "fixed", "value": 5, "cap": 9}}, "late_fee.cap: unknown key"),
        ({"invoice_prefix": ""}, "settings.toml: invoice_prefix: expected a non-empty"),
        ({"auto_finalize": "yes"}, "settings.toml: auto_finalize: expected true or false"),
        ({"refund_unused_days": {"weekly": True}}, "refund_unused_days.weekly: unknown key"),
        ({"refund_unused_days": {"monthly": 1}}, "refund_unused_days.monthly: expected true"),
        ({"tiemzone": "UTC"}, "settings.toml: tiemzone: unknown key"),
        ({"retry_days": [5, 3]}, "settings.toml: retry_days: expected increasing days"),
        ({"retry_days": [0]}, "settings.toml: retry_days: expected a list of whole days > 0"),
        ({"retry_days": 3}, "settings.toml: retry_days: expected a list"),
        ({"stripe_requests_per_second": 0}, "stripe_requests_per_second: expected a number"),
        ({"stripe_requests_per_second": "20"}, "stripe_requests_per_second: expected a number"),
        ({"wholesale_payment_terms_days": -3}, "wholesale_payment_terms_days: expected a whole"),
    ],
)
def test_a_bad_value_names_the_key(raw, message):
    with pytest.raises(InputError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_settings(raw)


def test_a_file_that_is_not_toml_is_one_clear_error(tmp_path):
    (tmp_path / "settings.toml").write_text("timezone = \n")
    with pytest.raises(InputError, match=r"^settings\.toml: not valid TOML"):
        load_settings(tmp_path)


def test_dbt_gets_exactly_the_vars_its_models_read():
    sql = "\n".join(
        path.read_text()
        for part in ("models", "macros", "tests")
        for path in (DBT_PROJECT_DIR / part).rglob("*.sql")
    )
    read = set(re.findall(r"""\bvar\(\s*['"]([a-z_]+)['"]""", sql))
    passed = set(model_vars(Settings(), date(2026, 1, 1), None))
    declared = set(yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"])
    assert passed == read == declared == {"through", "timezone", "refund_unused_days"}
