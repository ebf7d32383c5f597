"""Hand-checked values from real filings in ../shared/corpus/xml, read against the XML by eye."""

from .conftest import rows


def one(db, sql, params):
    found = rows(db, sql, params)
    assert len(found) == 1, found
    return found[0]


def refs(db, accession):
    return {(r["footnote_id"], r["table_name"], r["row_seq"], r["field_name"]) for r in db.query(
        "select footnote_id, table_name, row_seq, field_name from footnote_refs where accession_number = ?",
        [accession])}


def test_joint_filing_has_six_owners_and_rows_counted_once(corpus_db):
    # Fractyl Health (GUTS) 0000950170-24-012830: Mithril funds and Peter Thiel, IPO conversion.
    accession = "0000950170-24-012830"
    filing = one(corpus_db, "select * from filings where accession_number = ?", [accession])
    assert filing["issuer_cik"] == 1572616 and filing["issuer_trading_symbol"] == "GUTS"
    assert filing["owner_count"] == 6 and filing["schema_version"] == "X0508"
    assert filing["aff10b5one"] == 0  # written "false"
    owners = rows(corpus_db, "select owner_cik, owner_name, is_director, is_ten_percent_owner "
                  "from filing_owners where accession_number = ? order by owner_seq", [accession])
    assert [o["owner_cik"] for o in owners] == [1552273, 1878230, 1878232, 1669609, 1881891, 1211060]
    assert owners[-1]["owner_name"] == "THIEL PETER"
    assert all(o["is_ten_percent_owner"] == 1 and o["is_director"] == 0 for o in owners)
    purchases = rows(corpus_db, "select * from nonderiv_transactions where accession_number = ? "
                     "order by row_seq", [accession])
    assert len(purchases) == 3  # not 18: rows belong to the filing, not to each owner
    assert (purchases[2]["transaction_code"], purchases[2]["shares"], purchases[2]["price_per_share"],
            purchases[2]["shares_owned_after"], purchases[2]["direct_indirect"]) == ("P", 333333, 15, 1251900, "I")
    assert ("F3", "nonderiv_transactions", 3, "nature_of_ownership") in refs(corpus_db, accession)


def test_footnote_only_price_is_null_with_its_footnote(corpus_db):
    # Same filing, Table I row 1: preferred converted at IPO, price given only as footnote F1.
    accession = "0000950170-24-012830"
    row = one(corpus_db, "select * from nonderiv_transactions where accession_number = ? and row_seq = 1",
              [accession])
    assert row["price_per_share"] is None
    assert (row["transaction_code"], row["shares"], row["acquired_disposed"]) == ("C", 5160301, "A")
    found = refs(corpus_db, accession)
    assert ("F1", "nonderiv_transactions", 1, "price_per_share") in found
    assert ("F2", "nonderiv_transactions", 1, "direct_indirect") in found
    footnote = one(corpus_db, "select text from footnotes where id = ?", [accession + "_F1"])
    assert footnote["text"].startswith("In connection with the closing of the Issuer's initial public offering")


def test_derivative_only_filing(corpus_db):
    # Endeavor (EDR) 0000899243-21-018445: an RSU grant to director Elon Musk, no Table I.
    accession = "0000899243-21-018445"
    assert corpus_db.execute("select count(*) from nonderiv_transactions where accession_number = ?",
                             [accession]).fetchone()[0] == 0
    row = one(corpus_db, "select * from deriv_transactions where accession_number = ?", [accession])
    assert row["security_title"] == "Restricted Stock Unit"
    assert row["conversion_or_exercise_price"] is None  # footnote F1 only
    assert (row["transaction_code"], row["shares"], row["price_per_share"]) == ("A", 7583, 0)  # "0.00" is a real 0
    assert row["deemed_execution_date"] is None and row["transaction_timeliness"] is None  # empty elements
    assert (row["underlying_security_title"], row["underlying_shares"]) == ("Class A Common Stock", 7583)
    assert row["exercise_date"] is None and row["expiration_date"] is None
    assert refs(corpus_db, accession) == {
        ("F1", "deriv_transactions", 1, "conversion_or_exercise_price"),
        ("F2", "deriv_transactions", 1, "exercise_date"),
        ("F2", "deriv_transactions", 1, "expiration_date"),
    }
    owner = one(corpus_db, "select * from filing_owners where accession_number = ?", [accession])
    assert (owner["owner_cik"], owner["owner_name"], owner["is_director"]) == (1494730, "Musk Elon", 1)
    signature = one(corpus_db, "select * from signatures where accession_number = ?", [accession])
    assert signature["signature_name"] == "/s/ Robert Hilton, Attorney-in-fact"
    assert signature["signature_date"] == "2021-05-05"


def test_10b5_1_checkbox_and_plan_footnote(corpus_db):
    # Affirm (AFRM) 0001628280-24-030951: director Keith Rabois sells under a 10b5-1 plan.
    accession = "0001628280-24-030951"
    filing = one(corpus_db, "select * from filings where accession_number = ?", [accession])
    assert filing["aff10b5one"] == 1 and filing["period_of_report"] == "2024-07-01"
    row = one(corpus_db, "select * from nonderiv_transactions where accession_number = ?", [accession])
    assert (row["security_title"], row["transaction_code"], row["shares"], row["price_per_share"],
            row["acquired_disposed"], row["shares_owned_after"]) == (
        "Class A Common Stock", "S", 9276, 29.89, "D", 73623)
    assert refs(corpus_db, accession) == {
        ("F1", "nonderiv_transactions", 1, "shares"),
        ("F2", "nonderiv_transactions", 1, "price_per_share"),
    }
    plan = one(corpus_db, "select text from footnotes where id = ?", [accession + "_F1"])["text"]
    assert "Rule 10b5-1 trading plan adopted by the reporting person on December 14, 2023" in plan


def test_form3_holdings_in_both_tables(corpus_db):
    # Affirm (AFRM) 0001209191-21-003532: Keith Rabois' Form 3, Founders Fund holdings.
    accession = "0001209191-21-003532"
    filing = one(corpus_db, "select * from filings where accession_number = ?", [accession])
    assert (filing["document_type"], filing["no_securities_owned"], filing["schema_version"]) == ("3", 0, "X0206")
    first = one(corpus_db, "select * from nonderiv_holdings where accession_number = ? and row_seq = 1", [accession])
    assert (first["security_title"], first["shares_owned"], first["direct_indirect"],
            first["nature_of_ownership"]) == ("Class A Common Stock", 2205293, "I", "By The Founders Fund VI, LP")
    option = one(corpus_db, "select * from deriv_holdings where accession_number = ? and row_seq = 1", [accession])
    assert (option["security_title"], option["underlying_security_title"], option["underlying_shares"]) == (
        "Class B Common Stock", "Class A Common Stock", 2205293)
    assert option["shares_owned"] is None  # Form 3 Table II has no amount-owned column
    found = refs(corpus_db, accession)
    assert ("F1", "nonderiv_holdings", 1, "nature_of_ownership") in found
    assert ("F2", "deriv_holdings", 1, "conversion_or_exercise_price") in found


def test_form3_with_no_securities_owned(corpus_db):
    # Bird Global (BRDS) 0000899243-21-044370: a Form 3 with nothing to report.
    filing = one(corpus_db, "select * from filings where accession_number = ?", ["0000899243-21-044370"])
    assert filing["document_type"] == "3" and filing["no_securities_owned"] == 1
    for table in ("nonderiv_holdings", "deriv_holdings"):
        assert corpus_db.execute(f"select count(*) from {table} where accession_number = ?",
                                 ["0000899243-21-044370"]).fetchone()[0] == 0


def test_zone_suffixed_dates_keep_the_date(corpus_db):
    # This saved copy states periodOfReport as 2021-09-30-05:00.
    filing = one(corpus_db, "select * from filings where source_path = ?",
                 ["xml/bicx_4_2021-09-30_1198613_c99aa2.xml"])
    assert filing["period_of_report"] == "2021-09-30"
    assert filing["accession_source"] == "content_hash"
    assert filing["accession_number"].startswith("sha256-")
