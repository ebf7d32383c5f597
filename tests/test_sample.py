"""The bundled sample: the seed Form 4 transcribed faithfully, and one file per feature."""

from .conftest import rows


def test_sample_loads_without_errors_or_warnings(sample_db):
    assert sample_db["filings"].count == 15
    assert sample_db["build_errors"].count == 0
    assert sample_db.execute("select count(*) from filings where parse_warnings is not null").fetchone()[0] == 0


def test_seed_form4_qualys(sample_db):
    [filing] = rows(sample_db, "select * from filings where source_path = ?",
                    ["sample/qualys_4_seed-2013-11-22.xml"])
    accession = filing["accession_number"]
    assert filing["accession_source"] == "content_hash"
    assert (filing["document_type"], filing["issuer_name"], filing["issuer_trading_symbol"],
            filing["period_of_report"]) == ("4", "QUALYS, INC.", "QLYS", "2013-11-22")
    assert filing["issuer_cik"] is None and filing["schema_version"] is None  # the seed gives neither
    [owner] = rows(sample_db, "select * from filing_owners where accession_number = ?", [accession])
    assert (owner["owner_name"], owner["owner_cik"], owner["is_officer"], owner["is_director"],
            owner["officer_title"]) == ("Albert Peter", None, 1, 0, "VP, OPERATIONS")
    assert (owner["street1"], owner["city"], owner["state"], owner["zip_code"]) == (
        "C/O QUALYS, INC., 1600 BRIDGE PARKWAY", "REDWOOD CITY", "CA", "94065")
    table1 = rows(sample_db, "select * from nonderiv_transactions where accession_number = ? "
                  "order by row_seq", [accession])
    assert [(r["transaction_code"], r["acquired_disposed"], r["price_per_share"], r["shares_owned_after"],
             r["direct_indirect"], r["shares"]) for r in table1] == [
        ("M", "A", 4.8, 10000, "D", None), ("S", "D", 22.5307, 0, "D", None)]  # share counts lost
    [option] = rows(sample_db, "select * from deriv_transactions where accession_number = ?", [accession])
    assert (option["security_title"], option["conversion_or_exercise_price"], option["transaction_code"],
            option["shares"], option["expiration_date"], option["underlying_security_title"],
            option["underlying_shares"]) == (
        "Stock Option (right to buy)", 4.8, "M", 10000, "2021-04-28", "Common Stock", 10000)
    assert option["acquired_disposed"] is None and option["exercise_date"] is None
    refs = {(r["footnote_id"], r["table_name"], r["row_seq"], r["field_name"]) for r in sample_db.query(
        "select * from footnote_refs where accession_number = ?", [accession])}
    assert refs == {
        ("F1", "nonderiv_transactions", 1, "transaction_code"),
        ("F1", "nonderiv_transactions", 2, "transaction_code"),
        ("F1", "deriv_transactions", 1, "transaction_code"),
        ("F3", "deriv_transactions", 1, "exercise_date"),
    }
    footnotes = dict(sample_db.execute(
        "select footnote_id, text from footnotes where accession_number = ?", [accession]).fetchall())
    assert set(footnotes) == {"F1", "F3"}
    assert footnotes["F1"].startswith("The transactions reported on this Form 4 were effected pursuant "
                                      "to a Rule 10b5-1 trading plan adopted by the Reporting Person on August 28, 2013.")
    assert "ranging from $22.50 to $22.71 per share" in footnotes["F1"]
    assert footnotes["F3"].startswith("The option is subject to an early exercise provision")
    [signature] = rows(sample_db, "select * from signatures where accession_number = ?", [accession])
    assert (signature["signature_name"], signature["signature_date"]) == (
        "/s/ Bruce Posey by power of attorney for Peter Albert", "2013-11-22")


def test_mixed_booleans_and_zoned_dates(sample_db):
    accession = "0099000008-21-000093"
    [filing] = rows(sample_db, "select * from filings where accession_number = ?", [accession])
    assert filing["period_of_report"] == "2021-09-30" and filing["not_subject_to_section16"] == 0
    assert filing["aff10b5one"] is None  # X0306: the checkbox did not exist yet
    [owner] = rows(sample_db, "select * from filing_owners where accession_number = ?", [accession])
    assert (owner["is_officer"], owner["is_director"], owner["is_ten_percent_owner"], owner["is_other"]) == (1, 0, 0, 0)
    table1 = rows(sample_db, "select transaction_date, equity_swap_involved from nonderiv_transactions "
                  "where accession_number = ? order by row_seq", [accession])
    assert table1 == [{"transaction_date": "2021-09-30", "equity_swap_involved": 0}] * 2


def test_x0609_non_us_address_and_values_instead_of_shares(sample_db):
    accession = "0099000009-26-000005"
    [filing] = rows(sample_db, "select * from filings where accession_number = ?", [accession])
    assert (filing["schema_version"], filing["issuer_foreign_trading_symbol"],
            filing["not_subject_to_section16"]) == ("X0609", "DMSC.DE", 1)
    [owner] = rows(sample_db, "select * from filing_owners where accession_number = ?", [accession])
    assert (owner["non_us_address_flag"], owner["non_us_state_territory"], owner["country"]) == (1, "HESSEN", "2M")
    [note] = rows(sample_db, "select * from deriv_transactions where accession_number = ?", [accession])
    assert (note["total_value"], note["underlying_value"], note["value_owned_after"], note["shares"]) == (
        25000000, 25000000, 0, None)


def test_amendment_and_form5(sample_db):
    [amendment] = rows(sample_db, "select * from filings where document_type = '4/A'")
    assert amendment["date_of_original_submission"] == "2024-03-06"
    [form5] = rows(sample_db, "select * from filings where document_type = '5'")
    assert (form5["form3_holdings_reported"], form5["form4_transactions_reported"]) == (0, 1)
    [gift] = rows(sample_db, "select * from nonderiv_transactions where accession_number = ?",
                  [form5["accession_number"]])
    assert (gift["transaction_code"], gift["transaction_form_type"], gift["price_per_share"]) == ("G", "4", 0)


def test_joint_filing_rows_are_not_multiplied(sample_db):
    accession = "0099000006-23-000077"
    assert sample_db.execute("select count(*) from filing_owners where accession_number = ?",
                             [accession]).fetchone()[0] == 3
    assert sample_db.execute("select count(*) from nonderiv_transactions where accession_number = ?",
                             [accession]).fetchone()[0] == 2


def test_every_column_the_reader_fills_exists_in_its_table(sample_db):
    from form4db.readers import ownership_xml as reader

    def columns(fields):
        return {column for column, _ in fields.values()}

    assert columns(reader.DOCUMENT_FIELDS) | columns(reader.ISSUER_FIELDS) <= set(sample_db["filings"].columns_dict)
    assert columns(reader.OWNER_FIELDS) | {"owner_seq"} <= set(sample_db["filing_owners"].columns_dict)
    assert columns(reader.SIGNATURE_FIELDS) | {"signature_seq"} <= set(sample_db["signatures"].columns_dict)
    for kinds in reader.TABLE_ROWS.values():
        for table, fields in kinds.values():
            assert columns(fields) | {"row_seq"} <= set(sample_db[table].columns_dict), table
    child_tables = ["filing_owners", "nonderiv_transactions", "nonderiv_holdings", "deriv_transactions",
                    "deriv_holdings", "footnotes", "footnote_refs", "signatures"]
    for table in child_tables:  # the loader relies on this order
        assert list(sample_db[table].columns_dict)[:2] == ["id", "accession_number"], table
    assert list(sample_db["footnote_refs"].columns_dict) == [
        "id", "accession_number", "footnote", "footnote_id", "table_name", "row_id", "row_seq", "field_name"]
