"""The ownership XML reader on small hand-written documents: the edges real filings rarely show."""

import pytest

from form4db.model import ReadError
from form4db.readers.ownership_xml import accession_from_name, read_ownership_xml


def read(body: str, name: str = "x.xml"):
    document = f"<?xml version='1.0'?><ownershipDocument><documentType>5</documentType>{body}</ownershipDocument>"
    return read_ownership_xml(document.encode(), "in/" + name, name)


def test_accession_from_file_names():
    assert accession_from_name("afrm_4_0001628280-24-030951.xml") == "0001628280-24-030951"
    assert accession_from_name("000112760215028697.xml") == "0001127602-15-028697"
    assert accession_from_name("aapl_4_2025-08-08_1767094_a7c755.xml") is None


def test_content_key_when_the_name_has_no_accession():
    filing = read("<periodOfReport>2024-12-31</periodOfReport>", "saved-copy.xml")
    assert filing.accession_source == "content_hash"
    assert filing.accession_number == "sha256-" + filing.content_sha256[:20]
    assert read("<periodOfReport>2024-12-31</periodOfReport>", "other.xml").accession_number == filing.accession_number


def test_holding_coding_footnote_sits_on_the_form_type():
    filing = read("""<nonDerivativeTable><nonDerivativeHolding>
        <securityTitle><value>Common Stock</value></securityTitle>
        <transactionCoding><transactionFormType>3</transactionFormType><footnoteId id="F1"/></transactionCoding>
        <postTransactionAmounts><sharesOwnedFollowingTransaction><value>100.00</value></sharesOwnedFollowingTransaction></postTransactionAmounts>
        <ownershipNature><directOrIndirectOwnership><value>D</value></directOrIndirectOwnership></ownershipNature>
      </nonDerivativeHolding></nonDerivativeTable>
      <footnotes><footnote id="F1">Late Form 3 holding.</footnote></footnotes>""")
    [row] = filing.rows["nonderiv_holdings"]
    assert row == {"row_seq": 1, "security_title": "Common Stock", "transaction_form_type": "3",
                   "shares_owned": 100, "direct_indirect": "D"}
    [ref] = filing.footnote_refs
    assert (ref.footnote_id, ref.table, ref.row_seq, ref.field) == ("F1", "nonderiv_holdings", 1, "transaction_form_type")
    assert filing.warnings == []


def test_nothing_unexpected_is_dropped_silently():
    filing = read("""<nonDerivativeTable><nonDerivativeTransaction>
        <securityTitle>Common Stock</securityTitle>
        <conversionOrExercisePrice><value>1</value></conversionOrExercisePrice>
        <transactionDate><value>2024-13-45</value></transactionDate>
        <transactionAmounts><transactionShares><value>12,5x</value></transactionShares>
          <transactionPricePerShare><value>NaN</value></transactionPricePerShare></transactionAmounts>
        <isDirectorNominee>1</isDirectorNominee>
      </nonDerivativeTransaction></nonDerivativeTable>
      <footnotes><footnote id="F1">one</footnote><footnote id="F1">again</footnote></footnotes>""")
    assert filing.rows["nonderiv_transactions"] == [{
        "row_seq": 1, "transaction_date": None, "shares": None, "price_per_share": None}]
    assert filing.warnings == [
        "<securityTitle> of nonderiv_transactions row 1 has text outside <value>: 'Common Stock'",
        "unknown element <conversionOrExercisePrice> in nonderiv_transactions row 1 ignored",
        "unreadable value in <transactionDate>: '2024-13-45'",
        "unreadable value in <transactionShares>: '12,5x'",
        "unreadable value in <transactionPricePerShare>: 'NaN'",
        "unknown element <isDirectorNominee> in nonderiv_transactions row 1 ignored",
        "footnote with missing or repeated id 'F1' not stored: 'again'",
    ]
    assert filing.footnotes == [("F1", "one")]


def test_booleans_dates_and_flags():
    filing = read("""<periodOfReport>2021-09-30Z</periodOfReport><form3HoldingsReported> TRUE </form3HoldingsReported>
      <form4TransactionsReported>0</form4TransactionsReported>
      <reportingOwner><reportingOwnerId><rptOwnerCik>0001214156</rptOwnerCik><rptOwnerName>COOK TIMOTHY D</rptOwnerName></reportingOwnerId>
        <reportingOwnerRelationship><isOfficer>true</isOfficer><isDirector></isDirector><officerTitle>CEO</officerTitle></reportingOwnerRelationship>
      </reportingOwner>""")
    assert filing.document["period_of_report"] == "2021-09-30"
    assert (filing.document["form3_holdings_reported"], filing.document["form4_transactions_reported"]) == (1, 0)
    assert "aff10b5one" not in filing.document  # absent before X0508: NULL, not 0
    [owner] = filing.owners
    assert owner == {"owner_seq": 1, "owner_cik": 1214156, "owner_name": "COOK TIMOTHY D", "is_officer": 1,
                     "officer_title": "CEO", "is_director": 0, "is_ten_percent_owner": 0, "is_other": 0}


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"<ownershipDocument><documentType>10-K</documentType></ownershipDocument>",
     "documentType '10-K' is not a Form 3, 4 or 5"),
    (b"<ownershipDocument>", "not well-formed XML"),
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ownershipDocument/>', "refused"),
])
def test_not_a_filing(data, reason):
    with pytest.raises(ReadError, match=reason):
        read_ownership_xml(data, "bad.xml", "bad.xml")


def test_leading_whitespace_before_the_declaration_is_tolerated():
    data = b"\n\n  <?xml version='1.0'?><ownershipDocument><documentType>4</documentType></ownershipDocument>"
    assert read_ownership_xml(data, "x.xml", "x.xml").document["document_type"] == "4"
