"""queries/*.sql: the header contract, bound params, and every shipped file loads."""

from pathlib import Path

import pytest

from target_monitor.sqlfiles import QueryFileError, load_queries, params_used, parse_query_file

GOOD = """-- name: x
-- description: something
-- grain: one row per unit
-- param: year INTEGER the year
select $year as y
"""


def test_good_file_parses():
    q = parse_query_file(Path("x.sql"), GOOD)
    assert q.params == {"year": "INTEGER the year"} and q.sql == "select $year as y"


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace("select $year as y", "select $year, $as_of"), "used but not declared: as_of"),
        (GOOD.replace("select $year as y", "select 1"), "declared but not used: year"),
        (GOOD.replace("-- grain: one row per unit\n", ""), "lacks '-- grain"),
        (GOOD.replace("-- name: x", "-- name: y"), "differs from the file name"),
    ],
)
def test_contract_violations_are_rejected(text, message):
    with pytest.raises(QueryFileError) as err:
        parse_query_file(Path("x.sql"), text)
    assert message in str(err.value) and "x.sql" in str(err.value)


def test_params_in_strings_and_comments_do_not_count():
    assert params_used("select '$not' -- $neither\n, $yes") == {"yes"}
    # an apostrophe in a comment starts no string (it hid $as_of), and "--" in a string no comment
    assert params_used("-- DuckDB's threads\nselect $as_of, '--' as dash, $year") == {"as_of", "year"}
    assert params_used("select 'it''s -- $no', $yes -- it's $no\n") == {"yes"}


def test_every_shipped_query_loads_and_states_its_grain():
    queries = load_queries()
    assert {"actuals_as_of", "monthly_by_unit", "data_bounds", "unit_months_reported"} <= set(queries)
    for q in queries.values():
        assert q.grain.startswith("one row per"), q.name


def test_no_sql_is_formatted_into_execute_calls():
    import re

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [*root.glob("target_monitor/**/*.py"), *root.glob("pages/*.py"), root / "app.py"]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(execute|sql|query)\(\s*f[\"']", line):
                offenders.append(f"{path.name}:{n}")
    assert offenders == []


def test_records_header_names_the_as_of_param():
    with_records = GOOD.replace("-- param: year INTEGER the year\n",
                                "-- param: year INTEGER the year\n-- param: as_of DATE the day\n"
                                "-- records: open month of $as_of\n").replace("select $year as y",
                                                                              "select $year, $as_of")
    assert parse_query_file(Path("x.sql"), with_records).records_month_of == "as_of"
    assert parse_query_file(Path("x.sql"), GOOD).records_month_of is None
    for bad, message in [("open month of $day", "not a declared param"), ("all of them", "must read")]:
        with pytest.raises(QueryFileError, match=message):
            parse_query_file(Path("x.sql"), with_records.replace("open month of $as_of", bad))


def test_the_pages_queries_declare_their_records_month():
    queries = load_queries()
    for name in ("actuals_as_of", "monthly_by_unit", "unit_months_reported"):
        assert queries[name].records_month_of == "as_of", name
    assert queries["snapshot_facts"].records_month_of is None  # it freezes every day's records
