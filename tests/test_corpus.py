"""The whole real corpus loads, and an independent lxml count agrees with the database row for row."""

from collections import Counter

import pytest
from lxml import etree

from .conftest import CORPUS_XML

pytestmark = pytest.mark.usefixtures("corpus")

ROW_ELEMENTS = {
    "nonDerivativeTransaction": "nonderiv_transactions",
    "nonDerivativeHolding": "nonderiv_holdings",
    "derivativeTransaction": "deriv_transactions",
    "derivativeHolding": "deriv_holdings",
}
# Independent of the reader's own mapping: where a footnote marker sits, by parent element.
FIELD_OF_ELEMENT = {
    "securityTitle": "security_title",
    "conversionOrExercisePrice": "conversion_or_exercise_price",
    "transactionDate": "transaction_date",
    "deemedExecutionDate": "deemed_execution_date",
    "transactionCoding": "transaction_code",
    "transactionTimeliness": "transaction_timeliness",
    "transactionShares": "shares",
    "transactionTotalValue": "total_value",
    "transactionPricePerShare": "price_per_share",
    "transactionAcquiredDisposedCode": "acquired_disposed",
    "exerciseDate": "exercise_date",
    "expirationDate": "expiration_date",
    "underlyingSecurityTitle": "underlying_security_title",
    "underlyingSecurityShares": "underlying_shares",
    "underlyingSecurityValue": "underlying_value",
    "sharesOwnedFollowingTransaction": "shares_owned_after",
    "valueOwnedFollowingTransaction": "value_owned_after",
    "directOrIndirectOwnership": "direct_indirect",
    "natureOfOwnership": "nature_of_ownership",
}
HOLDING_FIELDS = {"shares_owned_after": "shares_owned", "value_owned_after": "value_owned",
                  "transaction_code": "transaction_form_type"}


def expected_counts(root):
    counts = Counter()
    for element, table in ROW_ELEMENTS.items():
        counts[table] = len(root.findall(f"./*/{element}"))
    counts["filing_owners"] = len(root.findall("reportingOwner"))
    counts["footnotes"] = len(root.findall("footnotes/footnote"))
    counts["footnote_refs"] = len(root.findall(".//footnoteId"))
    counts["signatures"] = len(root.findall("ownerSignature"))
    return counts


def expected_refs(root):
    refs = Counter()
    for element, table in ROW_ELEMENTS.items():
        for seq, row in enumerate(root.findall(f"./*/{element}"), start=1):
            for marker in row.iter("footnoteId"):
                field = FIELD_OF_ELEMENT[marker.getparent().tag]
                if table.endswith("holdings"):
                    field = HOLDING_FIELDS.get(field, field)
                refs[(table, seq, field, marker.get("id"))] += 1
    return refs


@pytest.fixture(scope="module")
def files():
    found = sorted(CORPUS_XML.glob("*.xml"))
    assert len(found) == 441
    return found


@pytest.fixture(scope="module")
def accession_of(corpus_db):
    return {r["source_path"]: r["accession_number"] for r in corpus_db.query(
        "select source_path, accession_number from filings")}


def test_every_corpus_file_loads_without_error(corpus_db, files):
    assert corpus_db["build_errors"].count == 0
    assert corpus_db["filings"].count == len(files)


def test_row_counts_match_an_independent_lxml_count(corpus_db, files, accession_of):
    tables = [*ROW_ELEMENTS.values(), "filing_owners", "footnotes", "footnote_refs", "signatures"]
    stored = {t: Counter(dict(corpus_db.execute(
        f"select accession_number, count(*) from {t} group by accession_number").fetchall()))
        for t in tables}
    totals = Counter()
    for path in files:
        accession = accession_of["xml/" + path.name]
        for table, count in expected_counts(etree.parse(str(path)).getroot()).items():
            assert stored[table][accession] == count, (path.name, table)
            totals[table] += count
    for table in tables:
        assert corpus_db[table].count == totals[table], table
    assert totals["nonderiv_transactions"] == 1943
    assert totals["deriv_transactions"] == 355


def test_every_footnote_marker_is_on_its_row_and_field(corpus_db, files, accession_of):
    for path in files:
        accession = accession_of["xml/" + path.name]
        stored = Counter(
            (r["table_name"], r["row_seq"], r["field_name"], r["footnote_id"])
            for r in corpus_db.query(
                "select table_name, row_seq, field_name, footnote_id from footnote_refs "
                "where accession_number = ?", [accession]))
        assert stored == expected_refs(etree.parse(str(path)).getroot()), path.name


def test_row_ids_point_at_real_rows(corpus_db):
    dangling = corpus_db.execute("""
        select count(*) from footnote_refs r where not exists (
          select 1 from nonderiv_transactions where id = r.row_id union all
          select 1 from nonderiv_holdings where id = r.row_id union all
          select 1 from deriv_transactions where id = r.row_id union all
          select 1 from deriv_holdings where id = r.row_id)""").fetchone()[0]
    assert dangling == 0


def test_unknown_is_null_never_empty_string(corpus_db):
    for table in corpus_db.table_names():
        if table.endswith(("_fts", "_data", "_idx", "_docsize", "_config", "_content")):
            continue
        for column in corpus_db[table].columns:
            if column.type == "TEXT":
                empty = corpus_db.execute(
                    f"select count(*) from [{table}] where [{column.name}] = ''").fetchone()[0]
                assert empty == 0, (table, column.name)


def test_only_the_browser_injected_script_elements_are_warned_about(corpus_db):
    warned = corpus_db.execute(
        "select source_path, parse_warnings from filings where parse_warnings is not null").fetchall()
    assert len(warned) == 4
    assert {w for _, w in warned} == {'["unknown element <script> ignored"]'}


def test_footnote_text_is_all_of_its_text(corpus_db, files, accession_of):
    for path in files:
        accession = accession_of["xml/" + path.name]
        stored = dict(corpus_db.execute(
            "select footnote_id, text from footnotes where accession_number = ?", [accession]).fetchall())
        expected = {f.get("id"): "".join(f.itertext()).strip() or None
                    for f in etree.parse(str(path)).getroot().findall("footnotes/footnote")}
        assert stored == expected, path.name
