"""EDGAR's rendered HTML view of Forms 3, 4 and 5: the real pages read back into the same Filing
the XML reader makes, but for what the page cannot carry (HTML_CANNOT_CARRY)."""

import pytest
import sqlite_utils

from form4db.build import build
from form4db.loader import LOADED_COLUMNS
from form4db.model import ROW_TABLES, FootnoteRef, ReadError
from form4db.readers.ownership_xml import read_ownership_xml
from form4db.readers.rendered_html import HTML_CANNOT_CARRY, read_rendered_html

from .conftest import CORPUS

pytestmark = pytest.mark.usefixtures("corpus")
HTML = CORPUS / "html"
XML = CORPUS / "xml"
PAGES = sorted(path.name for path in HTML.glob("*.html"))
# Each page and the ownership XML it was rendered from (same filing, same source repository).
TWINS = {
    "goog_4_0001127602-15-028697.html": "goog_4_0001127602-15-028697.xml",
    # Named for 0001209191-22-024550, but saved from (and rendered from) the next accession.
    "goog_4_0001209191-22-024550.html": "goog_4_0001209191-22-024552.xml",
    "374water_4_374waterform4.html": "scwo_4_2025-04-30_2064133_ae8d35.xml",
    "snow_3_form3-snow.html": "snow_3_2020-09-15_1246215_3d7f61.xml",
    "snow_5_form5-snow.html": "snow_5_2022-01-31_1397798_af2567.xml",
}
CANNOT = {entry.split()[0] for part in ("filings", "filing_owners", "rows") for entry in HTML_CANNOT_CARRY[part]}


def page(name: str, file_name: str | None = None, edit=None):
    data = (HTML / name).read_bytes()
    if edit:
        data = edit(data.decode()).encode()
    return read_rendered_html(data, "html/" + name, file_name or name)


def xml(name: str):
    data = (XML / name).read_bytes()
    return read_ownership_xml(data, name, name)


def without(record: dict, columns: set) -> dict:
    return {column: value for column, value in record.items() if column not in columns}


def one_line(text: str | None) -> str | None:
    return " ".join(text.split()) if text else text


def replace_once(old: str, new: str):
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)
    return edit


# The twins: a page and its XML --------------------------------------------------------------------

@pytest.mark.parametrize("html_name", TWINS)
def test_a_page_reads_as_its_xml_but_for_what_the_page_cannot_carry(html_name):
    from_page, from_xml = page(html_name), xml(TWINS[html_name])
    assert [w for w in from_page.warnings if not w.startswith("the page was saved from")] == []
    assert from_page.document == without(from_xml.document, CANNOT)
    assert from_page.issuer == without(from_xml.issuer, CANNOT)
    assert from_page.owners == [without(owner, CANNOT) for owner in from_xml.owners]
    for table in ROW_TABLES:
        assert from_page.rows[table] == [without(row, CANNOT) for row in from_xml.rows[table]], table
    assert sorted(from_page.footnote_refs) == sorted(from_xml.footnote_refs)
    assert [(i, one_line(text)) for i, text in from_page.footnotes] == [
        (i, one_line(text)) for i, text in from_xml.footnotes]
    assert from_page.signatures == from_xml.signatures


def test_what_the_page_cannot_carry_is_absent_and_is_all_that_differs():
    differ = set()
    for html_name, xml_name in TWINS.items():
        from_page, from_xml = page(html_name), xml(xml_name)
        pairs = [(from_page.document, from_xml.document), (from_page.issuer, from_xml.issuer),
                 *zip(from_page.owners, from_xml.owners),
                 *(pair for table in ROW_TABLES for pair in zip(from_page.rows[table], from_xml.rows[table]))]
        for in_page, in_xml in pairs:
            assert not CANNOT & in_page.keys()
            differ |= {column for column in in_page.keys() | in_xml.keys() if in_page.get(column) != in_xml.get(column)}
    # The others in the list are empty in these XML files too.
    assert differ == {"schema_version", "aff10b5one", "no_securities_owned", "not_subject_to_section16",
                      "form3_holdings_reported", "form4_transactions_reported", "transaction_form_type",
                      "equity_swap_involved"}
    assert differ <= CANNOT


def test_the_list_names_real_columns():
    rows = set().union(*(LOADED_COLUMNS[table] for table in ROW_TABLES))
    for part, columns in [("filings", LOADED_COLUMNS["filings"]), ("filing_owners", LOADED_COLUMNS["filing_owners"]),
                          ("rows", rows)]:
        assert {entry.split()[0] for entry in HTML_CANNOT_CARRY[part]} <= set(columns), part


def test_the_page_reformats_numbers_and_wraps_text_the_xml_way_or_not():
    # 134018.0 in the XML shows as 134,018 (listed under "numbers"); as numbers they are equal.
    assert "<value>134018.0</value>" in (XML / TWINS["snow_3_form3-snow.html"]).read_text()
    assert ">134,018<" in (HTML / "snow_3_form3-snow.html").read_text()
    assert page("snow_3_form3-snow.html").rows["deriv_holdings"][0]["underlying_shares"] == 134018
    # The snow XML's footnotes are wrapped over lines, the page's are not (listed under "whitespace").
    [(_, in_page)] = [f for f in page("snow_5_form5-snow.html").footnotes if f[0] == "F2"]
    [(_, in_xml)] = [f for f in xml(TWINS["snow_5_form5-snow.html"]).footnotes if f[0] == "F2"]
    assert in_page != in_xml and in_page == one_line(in_xml)
    # Elsewhere the page keeps the XML's text exactly, line breaks in remarks included.
    goog = "goog_4_0001127602-15-028697.html"
    assert page(goog).footnotes == xml(TWINS[goog]).footnotes
    remarks = page(goog).document["remarks"]
    assert "\n\nAs of October 2, 2015" in remarks and remarks == xml(TWINS[goog]).document["remarks"]


def test_the_2022_goog_page_is_another_filing_than_the_xml_of_its_name():
    name = "goog_4_0001209191-22-024550.html"
    from_page, from_xml = page(name), xml("goog_4_0001209191-22-024550.xml")
    # The address the page was saved from wins over its file name: it is what EDGAR served.
    assert (from_page.accession_number, from_page.accession_source) == ("0001209191-22-024552", "page_url")
    [warning] = from_page.warnings
    assert warning == ("the page was saved from accession 0001209191-22-024552, not the file name's "
                       "0001209191-22-024550")
    # Same issuer, owner and day, other transactions: the next Form 4 of the series.
    assert from_page.issuer == from_xml.issuer
    assert from_page.owners == [without(owner, CANNOT) for owner in from_xml.owners]
    assert from_page.document["period_of_report"] == from_xml.document["period_of_report"] == "2022-04-13"
    assert len(from_page.rows["nonderiv_transactions"]) == 6 and len(from_xml.rows["nonderiv_transactions"]) == 30
    assert len(from_page.footnotes) == 7 and len(from_xml.footnotes) == 29
    # Its real twin is the XML of the accession it was saved from (compared field by field above).
    assert page(name).rows == {table: [without(row, CANNOT) for row in rows]
                               for table, rows in xml("goog_4_0001209191-22-024552.xml").rows.items()}
    # Saved under a name without an accession, the page's own address gives it.
    renamed = page(name, file_name="SEC FORM 4.html")
    assert (renamed.accession_number, renamed.accession_source, renamed.warnings) == (
        "0001209191-22-024552", "page_url", [])


# Every page, values checked by hand ----------------------------------------------------------------

EXPECTED = {  # form, period, issuer, owners, rows per table, one row, one footnote
    "374water_4_374waterform4.html": (
        "4", "2025-04-30", (933972, "374Water Inc.", "SCWO"), 1, (1, 0, 1, 0),
        ("deriv_transactions", {
            "row_seq": 1, "security_title": "Stock options (right to buy)", "conversion_or_exercise_price": 0.33,
            "transaction_date": "2025-04-30", "transaction_code": "A", "shares": 757576, "acquired_disposed": "A",
            "expiration_date": "2035-04-29", "underlying_security_title": "Common Stock",
            "underlying_shares": 757576, "price_per_share": 0, "shares_owned_after": 757756,
            "direct_indirect": "D"}),
        ("F1", "Vesting commencement date is March 31, 2025. 25% of the shares vest")),
    "bam-partners_3_form3-bampartners.html": (
        "3", "2023-09-28", (1660734, "Triton International Ltd", "TRTN"), 10, (0, 1, 0, 0),
        ("nonderiv_holdings", {
            "row_seq": 1, "security_title": "Common Shares, par value $0.01 per share", "shares_owned": 101158891,
            "direct_indirect": "I", "nature_of_ownership": "See Footnotes"}),
        ("F2", "See Exhibit 99.1 for text of footnote (2).")),
    "evans_4_form4-evans.html": (
        "4", "2023-01-24", (842518, "EVANS BANCORP INC", "EVBN"), 1, (1, 0, 0, 0),
        ("nonderiv_transactions", {
            "row_seq": 1, "security_title": "Common Stock", "transaction_date": "2023-01-24",
            "transaction_code": "A", "shares": 519, "acquired_disposed": "A", "price_per_share": 39.52,
            "shares_owned_after": 5381.2, "direct_indirect": "D"}),
        ("F1", "The Restricted Stock shall be vested according to the following schedule: 100% of the shares")),
    "goog_4_0001127602-15-028697.html": (
        "4", "2015-10-02", (1288776, "GOOGLE INC.", "GOOG"), 1, (18, 1, 1, 0),
        ("nonderiv_transactions", {
            "row_seq": 2, "security_title": "Class A Common Stock", "transaction_date": "2015-10-02",
            "transaction_code": "S", "shares": 532, "acquired_disposed": "D", "price_per_share": 634.4608,
            "shares_owned_after": 16138, "direct_indirect": "D"}),
        ("F19", "All shares are exercisable as of the transaction date.")),
    "goog_4_0001209191-22-024550.html": (
        "4", "2022-04-13", (1652044, "Alphabet Inc.", "GOOG"), 1, (6, 0, 0, 3),
        ("deriv_holdings", {
            "row_seq": 2, "security_title": "Class B Common Stock", "conversion_or_exercise_price": 0,
            "underlying_security_title": "Class A Common Stock", "underlying_shares": 8635, "shares_owned": 8635,
            "direct_indirect": "I", "nature_of_ownership": "SMB Pacific 2021 Charitable Remainder Unitrust I"}),
        ("F7", "There is no expiration date for the Issuer's Class B Common Stock.")),
    "msft_4_msft-form4-example.html": (
        "4", "2016-06-02", (789019, "MICROSOFT CORP", "MSFT"), 1, (0, 1, 1, 0),
        ("deriv_transactions", {  # the exercise price shows only footnote (1): no value
            "row_seq": 1, "security_title": "Restricted Stock Units", "transaction_date": "2016-06-02",
            "transaction_code": "A", "shares": 1619, "acquired_disposed": "A",
            "underlying_security_title": "Common Stock", "underlying_shares": 1619, "price_per_share": 0,
            "shares_owned_after": 4172, "direct_indirect": "D"}),
        ("F3", "Includes 1 share as a result of accumulated fractional shares.")),
    "snow_3_form3-snow.html": (
        "3", "2020-09-15", (1640147, "Snowflake Inc.", "SNOW"), 1, (0, 0, 0, 6),
        ("deriv_holdings", {
            "row_seq": 1, "security_title": "Series E Preferred Stock",
            "underlying_security_title": "Class B Common Stock", "underlying_shares": 134018,
            "direct_indirect": "I", "nature_of_ownership": "Limited Partnership"}),
        ("F4", "The shares are held by the Garrett Family Investment Partnership, L.P.")),
    "snow_5_form5-snow.html": (
        "5", "2022-01-31", (1640147, "Snowflake Inc.", "SNOW"), 1, (1, 2, 0, 0),
        ("nonderiv_transactions", {
            "row_seq": 1, "security_title": "Class A Common Stock", "transaction_date": "2021-12-23",
            "transaction_code": "G", "shares": 61386, "acquired_disposed": "D", "price_per_share": 0,
            "shares_owned_after": 54666, "direct_indirect": "D"}),
        ("F1", "Represents shares that the Reporting Person transferred for no consideration.")),
}


def test_every_page_is_checked():
    assert sorted(EXPECTED) == PAGES


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_page_reads_with_the_values_it_shows(name):
    form, period, issuer, owners, counts, (table, row), (footnote_id, footnote_start) = EXPECTED[name]
    filing = page(name)
    assert (filing.source_format, filing.parse_quality, filing.source_path) == ("rendered-html", "partial",
                                                                                "html/" + name)
    assert (filing.document["document_type"], filing.document["period_of_report"]) == (form, period)
    assert (filing.issuer["issuer_cik"], filing.issuer["issuer_name"], filing.issuer["issuer_trading_symbol"]) == issuer
    assert len(filing.owners) == owners
    assert tuple(len(filing.rows[t]) for t in ROW_TABLES) == counts
    assert filing.rows[table][row["row_seq"] - 1] == row
    assert one_line(dict(filing.footnotes)[footnote_id]).startswith(footnote_start)
    assert len(filing.signatures) == 1 and set(filing.signatures[0]) == {"signature_seq", "signature_name",
                                                                         "signature_date"}


def test_accession_from_the_name_else_the_content():
    assert page("evans_4_form4-evans.html").accession_source == "content_hash"  # no accession, no address
    evans = page("evans_4_form4-evans.html")
    assert evans.accession_number == "sha256-" + evans.content_sha256[:20]
    assert page("goog_4_0001127602-15-028697.html", "SEC FORM 4.html").accession_number == "0001127602-15-028697"


def test_a_footnote_only_value_is_null_with_its_marker():
    filing = page("msft_4_msft-form4-example.html")
    assert "conversion_or_exercise_price" not in filing.rows["deriv_transactions"][0]
    assert FootnoteRef("F1", "deriv_transactions", 1, "conversion_or_exercise_price") in filing.footnote_refs
    assert [ref.field for ref in filing.footnote_refs if ref.footnote_id == "F2"] == ["exercise_date",
                                                                                      "expiration_date"]


def test_a_form_5_code_marker_and_holdings():
    filing = page("snow_5_form5-snow.html")
    assert FootnoteRef("F1", "nonderiv_transactions", 1, "transaction_code") in filing.footnote_refs
    assert filing.rows["nonderiv_holdings"][1] == {
        "row_seq": 2, "security_title": "Class A Common Stock", "shares_owned": 125737, "direct_indirect": "I",
        "nature_of_ownership": "Trust"}
    assert FootnoteRef("F4", "nonderiv_holdings", 2, "nature_of_ownership") in filing.footnote_refs


def test_owners_of_a_joint_filing_in_page_order_without_relationships():
    filing = page("bam-partners_3_form3-bampartners.html")
    assert [(o["owner_seq"], o["owner_cik"]) for o in filing.owners[:3]] == [(1, 1001085), (2, 1861643), (3, 1996787)]
    assert filing.owners[0] == {
        "owner_seq": 1, "owner_cik": 1001085, "owner_name": "BROOKFIELD Corp /ON/", "street1": "BROOKFIELD PLACE",
        "street2": "181 BAY ST SUITE 100", "city": "TORONTO ONTARIO", "state": "A6", "zip_code": "M5J2T3"}
    assert filing.owners[9]["owner_name"] == "BIF V Thanos Carry L.P."
    [warning] = filing.warnings
    assert warning == ("one relationship box for 10 owners, not stored: is_director=0, is_ten_percent_owner=1, "
                       "is_officer=0, is_other=0")
    assert all(flag not in owner for owner in filing.owners for flag in ("is_director", "is_ten_percent_owner"))
    assert filing.document["remarks"].endswith("transactions described above. // Form 1 of 2")


def test_relationship_titles_old_and_new_layouts():
    assert page("goog_4_0001127602-15-028697.html").owners[0]["officer_title"] == "Co-Founder"  # one span
    assert page("374water_4_374waterform4.html").owners[0]["officer_title"] == "Chief Technology Officer"  # cells
    evans = page("evans_4_form4-evans.html").owners[0]  # two empty spans
    assert "officer_title" not in evans and "other_text" not in evans and "street2" not in evans


# What the corpus does not show, on real pages edited ----------------------------------------------

GOOG = "goog_4_0001127602-15-028697.html"


def test_an_amendment_shows_its_original_date():
    filing = page(GOOG, edit=replace_once("(Month/Day/Year)</span><br>\n</td>",
                                          '(Month/Day/Year)</span><br><span class="FormData">09/30/2015</span></td>'))
    assert filing.document["document_type"] == "4/A"
    assert filing.document["date_of_original_submission"] == "2015-09-30"


def test_a_checked_box_is_1_and_an_empty_one_absent():
    assert "not_subject_to_section16" not in page(GOOG).document
    filing = page(GOOG, edit=replace_once("<td>&nbsp;&nbsp;</td>", "<td>X</td>"))
    assert filing.document["not_subject_to_section16"] == 1 and filing.warnings == []


def test_a_v_in_the_v_column_is_a_warning_not_a_value():
    filing = page(GOOG, edit=replace_once('<span class="SmallFormData">C</span></td>\n<td align="center"></td>',
                                          '<span class="SmallFormData">C</span></td>\n<td align="center">V</td>'))
    assert "transaction_timeliness" not in filing.rows["nonderiv_transactions"][0]
    assert filing.warnings == ["nonderiv_transactions row 1 shows 'V' in the V column (an early report?): not stored"]


def test_unreadable_values_are_null_with_a_warning():
    filing = page(GOOG, edit=replace_once('<span class="FormData">16,670</span>',
                                          '<span class="FormData">16.670,5</span>'))
    assert filing.rows["nonderiv_transactions"][0]["shares"] is None
    assert filing.warnings == ["unreadable shares in nonderiv_transactions row 1: '16.670,5'"]


def test_a_marker_without_its_footnote_is_reported():
    filing = page(GOOG, edit=replace_once('<td class="FootnoteData">20.', '<td class="FootnoteData">x'))
    assert "F20" not in dict(filing.footnotes)
    unnumbered, unmatched = filing.warnings
    assert unnumbered.startswith("footnote without a number not stored: \"x There is no expiration date")
    assert unmatched == "markers without a footnote on the page: F20"


# Bad input -------------------------------------------------------------------------------------------

def refused(data: bytes, name: str = "x.html") -> str:
    with pytest.raises(ReadError) as error:
        read_rendered_html(data, name, name)
    return str(error.value)


def test_what_is_no_rendered_form_is_refused_with_a_reason():
    assert refused(b"") == "empty file"
    assert refused(b" \n\t") == "empty file"
    assert refused(bytes(range(256)) * 4) == "no 'Table I': not a rendered Form 3, 4 or 5"
    assert refused(b"<html><body>hello</body></html>") == "no 'Table I': not a rendered Form 3, 4 or 5"
    assert refused(b"<p>Table I - Non-Derivative</p>") == ("no 'Table I' table: not a rendered Form 3, 4 or 5, "
                                                           "or cut short")
    assert refused((XML / TWINS[GOOG]).read_bytes()) == "no 'Table I': not a rendered Form 3, 4 or 5"
    assert refused(b"<table><tr><th>Table I -</th></tr></table>" * 10 + b"x" * (2 << 20)).startswith("larger than")


def test_a_page_cut_short_is_refused():
    data = (HTML / GOOG).read_bytes()
    in_table_1 = data.index(b"Class C Capital Stock")
    assert refused(data[:in_table_1]) == "no 'Table II' table: not a rendered Form 3, 4 or 5, or cut short"
    before_signature = data.index(b"** Signature of Reporting Person")
    assert refused(data[:before_signature]) == "no signature block after the tables: the page is cut short"
    assert refused(data[:data.index(b"Table I -")]) == "no 'Table I': not a rendered Form 3, 4 or 5"


def test_another_form_or_a_broken_layout_is_refused():
    text = (HTML / GOOG).read_text()
    assert refused(text.replace(">FORM 4<", ">FORM 8-K<").encode()) == (
        "the form's name box shows 'FORM 8-K', not FORM 3, 4 or 5")
    assert refused(text.replace("1. Title of Security", "1. Name").encode()) == (
        "Table I has no title column: not a rendered form")
    nested = "<table><tr><td>" * 8 + "</td></tr></table>" * 8
    assert refused(text.replace("</body>", nested + "</body>").encode()) == (
        "tables nested 7 deep: not a rendered ownership form")


def test_entities_are_never_expanded():
    text = (HTML / GOOG).read_text()
    text = text.replace(text[:text.index("\n")], '<!DOCTYPE html [<!ENTITY secret SYSTEM "file:///etc/passwd">]>')
    filing = read_rendered_html(text.replace(">Brin Sergey<", ">Brin &secret;<").encode(), "x", "x.html")
    assert filing.owners[0]["owner_name"] == "Brin &secret;"


# In the database: a page beside its XML ------------------------------------------------------------

@pytest.mark.parametrize("order", ["page first", "xml first", "one batch"])
def test_where_the_xml_is_loaded_too_it_wins_and_the_page_adds_nothing_twice(tmp_path, order):
    html_path, xml_path = HTML / "goog_4_0001127602-15-028697.html", XML / "goog_4_0001127602-15-028697.xml"
    db_path = str(tmp_path / "f.db")
    if order == "one batch":
        build([str(html_path), str(xml_path)], db_path)
    else:
        for path in (html_path, xml_path) if order == "page first" else (xml_path, html_path):
            build([str(path)], db_path)
    db = sqlite_utils.Database(db_path)
    filing = db["filings"].get("0001127602-15-028697")
    assert (filing["source_format"], filing["parse_quality"], filing["sources"]) == ("xml", "complete",
                                                                                     "rendered-html xml")
    assert filing["schema_version"] == "X0306"  # from the XML: the page does not show it
    from_xml = xml("goog_4_0001127602-15-028697.xml")
    for table in ROW_TABLES:
        assert db[table].count == len(from_xml.rows[table])
    assert db["footnotes"].count == len(from_xml.footnotes)
    assert db["footnote_refs"].count == len(from_xml.footnote_refs)
    assert db["filing_owners"].count == 1 and db["filings"].count == 1


def test_every_page_builds_beside_the_xml_corpus_without_errors(tmp_path):
    db_path = str(tmp_path / "f.db")
    report = build([str(HTML), str(XML)], db_path)
    assert report.errors == []
    db = sqlite_utils.Database(db_path)
    rendered = db.execute("select accession_number, source_format, parse_quality from filings "
                          "where sources like '%rendered-html%' order by 1").fetchall()
    # The goog pages are kept from their XML, by accession (the 2022 one by the address it was
    # saved from); the other pages name no accession, nor do their twins' files: filings of their own.
    assert rendered[:2] == [("0001127602-15-028697", "xml", "complete"), ("0001209191-22-024552", "xml", "complete")]
    assert [row[1:] for row in rendered[2:]] == [("rendered-html", "partial")] * 6
