"""What the form fuzzing tests send: the hypothesis settings and the strategies for hostile
and valid field values."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis caches (unicode tables, constants) go to the temporary directory, not the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "portal-tests-hypothesis")


FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# -- strategies ------------------------------------------------------------------------------------

NUMBERS = [
    "NaN",
    "-nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "-1e309",
    "1e-400",
    "-1",
    "0",
    "-0",
    "1" + "0" * 40,
    "9" * 5000,
    "0x1A",
    "1_000",
    " 12 ",
    "1,5",
    "\u0661\u0662",  # Arabic-Indic digits 12
    "\u00b2",  # superscript two: isdigit() but not int()
    "12.345678901234567890",
    "2147483648",
    "-2147483649",
]


SPECIAL = [
    "\r\n",
    "x\r\nBcc: evil@example.com",
    "\u202eevil",
    "\ufeff",
    "\u2028",
    "\U0001d518\U0001d52b",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "%s%n%x",
    "../../etc/passwd",
    " ",
    "\t",
    "null",
    "None",
    "true",
    "[]",
]


CHUNKS = ["a", "\u00e9", "\U0001d518", " ", "\x01", "ab\r\n", "<>\"'&", "9"]


long_text = st.builds(lambda chunk, n: (chunk * n)[:20000], st.sampled_from(CHUNKS), st.integers(0, 20000))


# NUL is left out here: it has its own test (``test_nul_character``), as PostgreSQL cannot store it.
any_text = st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=60)


control_text = st.text(
    alphabet=st.characters(min_codepoint=1, max_codepoint=0x1F) | st.sampled_from("\x7f\x85 ab"), max_size=20
)


nasty = st.one_of(
    any_text,
    control_text,
    st.sampled_from(SPECIAL + NUMBERS),
    long_text,
    st.integers().map(str),
    st.floats().map(str),
)


numbers = st.one_of(st.sampled_from(NUMBERS), st.integers().map(str), st.floats().map(str), st.decimals().map(str))


flags = st.sampled_from(["y", "on", "1", "0", "false", "", "n"])


EXTRA_KEYS = [
    "customer_id",
    "contact_id",
    "is_primary",
    "permissions",
    "perm_invoices",
    "perm_projects",
    "notify_invoice",
    "active",
    "company",
    "currency",
    "email",
    "version",
    "status",
    "staff_id",
    "id",
]


def extras(keys=EXTRA_KEYS, values=None):
    """Extra posted fields a form does not have (their values may name another customer's ids)."""
    if values is None:
        values = st.one_of(flags, nasty, st.sampled_from(["$OTHER_CUSTOMER", "$OTHER_CONTACT", "1", "2"]))
    return st.dictionaries(st.sampled_from(keys), values, max_size=4)


@st.composite
def form(draw, fields: dict, extra=None):
    """A posted form. ``fields`` maps a name to a strategy of valid values, or to a pair (valid,
    hostile); hostile defaults to ``nasty``. Mostly a valid form with up to two fields hostile
    or missing (often none, so the accepted path and its mass-assignment checks run too),
    sometimes every field anything; then the extra fields."""
    specs = {name: spec if isinstance(spec, tuple) else (spec, nasty) for name, spec in fields.items()}
    chaos = draw(st.sampled_from(["mostly valid"] * 3 + ["chaos"])) == "chaos"
    broken = set(specs) if chaos else draw(st.sets(st.sampled_from(sorted(specs)), max_size=2))
    data = {}
    for name, (good, bad) in specs.items():
        value = draw(st.one_of(bad, st.none(), good) if name in broken else good)
        if value is not None:
            data[name] = value
    for name, value in draw(extras() if extra is None else extra).items():
        data.setdefault(name, value)  # an extra field never replaces one of the form's own
    return data


# Valid values: any unicode text that is not blank, cut to a field's length.
word = st.text(
    alphabet=st.characters(exclude_categories=["Cs", "Cc", "Cf", "Co", "Cn", "Zs", "Zl", "Zp"]), min_size=1, max_size=25
)


sentence = st.lists(word, min_size=1, max_size=5).map(" ".join)


def upto(length: int):
    return sentence.map(lambda text: text[:length])


amount = st.decimals(min_value="0.01", max_value="1000", places=2).map(str)


iso_date = st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat)


# -- portal: company ------------------------------------------------------------------------------------

LIMITS = {"vat_number": 40, "phone": 40, "address": 500, "city": 100, "zip_code": 20, "country": 80}


WEBSITES = (
    st.sampled_from(["https://acme.example", "http://x.example/a?b=c", ""]),
    st.sampled_from(["javascript:alert(1)", "http://x"]) | nasty,
)
