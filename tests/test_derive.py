"""Derived facts, on real filings from the corpus and on small hand-written ones."""

import re
import sqlite3
from datetime import date

import pytest
import sqlite_utils
from click.testing import CliRunner

from form4db.build import build
from form4db.cli import cli
from form4db.derive import (business_days, classify, clean_ticker, derive, federal_holidays,
                            is_common_equity, price_ranges, read_10b5_1)

from .conftest import CORPUS, rows

pytestmark = pytest.mark.usefixtures("corpus")


def one(db, sql, params=()):
    [found] = rows(db, sql, params)
    return found


# ---- values, holdings, open market ---------------------------------------------------------

def test_value_is_null_for_a_footnote_only_price_and_zero_for_a_zero_price(corpus_db):
    guts = rows(corpus_db, "select row_seq, price_per_share, value_usd, is_open_market from nonderiv_transactions "
                "where accession_number = '0000950170-24-012830' order by row_seq")
    assert [(r["price_per_share"], r["value_usd"]) for r in guts] == [(None, None), (None, None), (15, 4999995)]
    grant = one(corpus_db, "select price_per_share, value_usd from deriv_transactions "
                "where id = '0000899243-21-018445_dt1'")
    assert (grant["price_per_share"], grant["value_usd"]) == (0, 0)


def test_holding_before_and_change(corpus_db):
    sale = one(corpus_db, "select * from nonderiv_transactions where id = '0001628280-24-030951_nt1'")
    assert (sale["owned_before"], sale["owned_change_pct"]) == (82899, -11.19)  # 73,623 after + 9,276 sold
    first = one(corpus_db, "select * from nonderiv_transactions where id = '0000950170-24-012830_nt1'")
    assert (first["owned_before"], first["owned_change_pct"]) == (0, None)  # a first position


def test_open_market_flag(corpus_db):
    flags = dict(corpus_db.execute("""select id, is_open_market from nonderiv_transactions where id in
        ('0001628280-24-030951_nt1', '0000950170-24-012830_nt1', '0000950170-24-012830_nt3')""").fetchall())
    assert flags == {"0001628280-24-030951_nt1": 1, "0000950170-24-012830_nt1": 0, "0000950170-24-012830_nt3": 1}
    assert is_common_equity("Class A Common Stock, par value $0.0001") == 1
    assert is_common_equity("American Depositary Shares") == 1
    assert is_common_equity("Variable Rate Demand Preferred Shares") == 0
    assert is_common_equity("Warrants to purchase Common Stock") == 0
    assert is_common_equity("Restricted Stock Units") == 0


def test_a_joint_filing_counts_once_in_dollar_sums(corpus_db):
    # Fractyl Health: six owners, one purchase of 333,333 shares at $15.
    total = corpus_db.execute("""select sum(t.value_usd) from nonderiv_transactions_amended t
        join filings f using (accession_number) where f.issuer_trading_symbol = 'GUTS'
        and t.is_open_market = 1""").fetchone()[0]
    assert total == 4999995


# ---- filing delays ----------------------------------------------------------------------------

def test_business_day_calendar(corpus_db):
    assert set(federal_holidays(2024)) == {
        date(2024, 1, 1), date(2024, 1, 15), date(2024, 2, 19), date(2024, 5, 27), date(2024, 6, 19),
        date(2024, 7, 4), date(2024, 9, 2), date(2024, 10, 14), date(2024, 11, 11), date(2024, 11, 28),
        date(2024, 12, 25)}
    assert date(2021, 12, 31) in federal_holidays(2021)  # New Year's Day 2022 fell on a Saturday
    assert date(2022, 6, 20) in federal_holidays(2022)  # Juneteenth on a Sunday
    assert business_days("2024-05-24", "2024-05-29") == 2  # Friday, over Memorial Day
    assert business_days("2024-05-24", "2024-05-30") == 3
    assert business_days("2025-03-15", "2025-03-18") == 2  # a Saturday trade, filed Tuesday
    assert business_days("2025-01-08", "2025-01-10") == 1  # 9 January 2025: day of mourning
    assert corpus_db.execute("select business_day_seq from calendar where day = '2024-05-29'").fetchone()[0] \
        - corpus_db.execute("select business_day_seq from calendar where day = '2024-05-24'").fetchone()[0] == 2


def submission(name: str) -> tuple[str, str]:
    """The ownership XML inside a real full submission of the corpus, and its filing date."""
    text = (CORPUS / "txt" / name).read_text(errors="replace")
    filed = re.search(r"FILED AS OF DATE:\s*(\d{4})(\d{2})(\d{2})", text).groups()
    return text.split("<XML>")[1].split("</XML>")[0].strip(), "-".join(filed)


@pytest.fixture(scope="module")
def dated_db(tmp_path_factory):
    """Real filings with their real filing dates (from the full submissions' headers)."""
    folder = tmp_path_factory.mktemp("dated")
    dates = {}
    for name in ["betr_4_0001493152-25-009612.txt", "txg_4_0001610717-23-000035.txt",
                 "zip_4_0001617553-25-000024.txt"]:
        xml, filed = submission(name)
        accession = re.search(r"\d{10}-\d{2}-\d{6}", name).group()
        (folder / f"{accession}.xml").write_text(xml)
        dates[accession] = filed
    memorial_day = CORPUS / "xml" / "u_4_0001062993-24-011440.xml"  # traded Friday 24 May 2024
    (folder / memorial_day.name).write_bytes(memorial_day.read_bytes())
    dates["0001062993-24-011440"] = "2024-05-29"  # its signature date: filed the Wednesday after
    db_path = folder / "form4.db"
    build([str(folder)], str(db_path))
    conn = sqlite3.connect(db_path)
    with conn:
        conn.executemany("update filings set filing_date = ? where accession_number = ?",
                         [(filed, accession) for accession, filed in dates.items()])
    derive(conn)
    return sqlite_utils.Database(conn)


def test_a_known_late_filing_and_known_on_time_ones(dated_db):
    delays = {r["accession_number"]: (r["transaction_date"], r["filing_delay_bd"], r["is_late"]) for r in rows(
        dated_db, "select accession_number, transaction_date, filing_delay_bd, is_late from nonderiv_transactions")}
    assert delays["0001493152-25-009612"][2] == 1  # traded 2024-12-09, filed 2025-03-07
    assert delays["0001493152-25-009612"][1] == 58  # 14 + 20 + 19 + 5 business days, Dec to Mar (24 Dec closed)
    assert delays["0001610717-23-000035"] == ("2023-05-11", 2, 0)  # Thursday, filed Monday
    assert delays["0001617553-25-000024"] == ("2025-03-15", 2, 0)  # Saturday, filed Tuesday
    assert delays["0001062993-24-011440"] == ("2024-05-24", 2, 0)  # Friday, Memorial Day, Wednesday


def test_no_filing_date_no_delay(corpus_db):
    assert corpus_db.execute("select count(*) from nonderiv_transactions where filing_delay_bd is not null "
                             "or is_late is not null").fetchone()[0] == 0


# ---- Rule 10b5-1 -----------------------------------------------------------------------------

def test_10b5_1_in_the_seed_transcription(sample_db):
    [filing] = rows(sample_db, "select accession_number from filings where source_path like '%qualys%'")
    found = rows(sample_db, "select row_seq, transaction_code, is_10b5_1, rule_10b5_1_evidence, "
                 "rule_10b5_1_footnote, plan_adopted_on, price_low, price_high from nonderiv_transactions "
                 "where accession_number = ? order by row_seq", [filing["accession_number"]])
    assert [tuple(r.values()) for r in found] == [
        (1, "M", 1, "footnote", "F1", "2013-08-28", None, None),  # the exercise at $4.80 is outside the range
        (2, "S", 1, "footnote", "F1", "2013-08-28", 22.5, 22.71),
    ]


def test_10b5_1_tri_state_on_real_filings(corpus_db):
    state = dict((r[0], r[1:]) for r in corpus_db.execute("""select id, is_10b5_1, rule_10b5_1_evidence,
        rule_10b5_1_footnote, plan_adopted_on from nonderiv_transactions where id in
        ('0001628280-24-030951_nt1', '0000950170-24-012830_nt3', '0001209191-21-003765_nt1')""").fetchall())
    assert state["0001628280-24-030951_nt1"] == (1, "footnote", "F1", "2023-12-14")  # box checked, footnote says
    assert state["0000950170-24-012830_nt3"] == (0, "checkbox_unchecked", None, None)
    assert state["0001209191-21-003765_nt1"] == (None, None, None, None)  # 2021: no box, no text


def test_10b5_1_text_reading():
    assert read_10b5_1("Effected pursuant to a Rule 10b5–1 trading plan adopted on May 3, 2021.") == (
        (("open_market", 1),), "2021-05-03")
    assert read_10b5_1("Sold under a 10b-5-1 plan entered into on 11/08/2024 by the reporting person.") == (
        ((",S,", 1),), "2024-11-08")
    assert read_10b5_1("The sale was not made pursuant to a Rule 10b5-1 trading plan.") == (((",S,", 0),), None)
    assert read_10b5_1("Shares sold pursuant to a duly adopted 10b5-1 trading plan.") == (((",S,", 1),), None)
    assert read_10b5_1("Represents shares withheld for taxes.") is None


def test_price_ranges_from_footnote_text():
    assert price_ranges("prices ranging from $22.50 to $22.71 per share") == [(22.5, 22.71, None)]
    assert price_ranges("sold from $1,029.50 to $1,030.32; and $5 - $6") == [(1029.5, 1030.32, None), (5, 6, None)]
    assert price_ranges("no price range here, $10 total") == []


# ---- amendments ------------------------------------------------------------------------------

def test_a_corpus_amendment_links_to_its_original(corpus_db):
    [amendment] = rows(corpus_db, "select accession_number from filings where source_path = "
                       "'xml/munex_4A_2025-09-25_70858_50b113.xml'")
    [original] = rows(corpus_db, "select accession_number from filings where source_path = "
                      "'xml/munex_4_2025-09-29_70858_242d22.xml'")
    link = one(corpus_db, "select * from amendments where amendment_accession = ?", [amendment["accession_number"]])
    assert (link["original_accession"], link["method"], link["confidence"], link["candidates"]) == (
        original["accession_number"], "period", 0.6, 1)
    # The amendment corrects the security title of both rows; they replace the originals.
    superseded = dict(corpus_db.execute("select id, superseded_by from nonderiv_transactions "
                                        "where accession_number = ?", [original["accession_number"]]).fetchall())
    assert superseded == {f"{original['accession_number']}_nt{n}": f"{amendment['accession_number']}_nt{n}"
                          for n in (1, 2)}
    amended = {r["accession_number"] for r in rows(
        corpus_db, "select accession_number from nonderiv_transactions_amended where accession_number in (?, ?)",
        [amendment["accession_number"], original["accession_number"]])}
    assert amended == {amendment["accession_number"]}


def test_an_amendment_without_its_original_is_unmatched(corpus_db):
    link = one(corpus_db, """select a.* from amendments a join filings f on f.accession_number = a.amendment_accession
        where f.source_path = 'xml/panw_4A_2021-12-14_1409324_e7b5e6.xml'""")
    assert (link["original_accession"], link["method"], link["candidates"]) == (None, "unmatched", 0)


def test_an_amendment_restates_one_row(fictional_db):
    link = one(fictional_db, "select * from amendments where amendment_accession = '0099000002-24-000047'")
    assert link["original_accession"] == "0099000002-24-000031"
    superseded = dict(fictional_db.execute("select row_seq, superseded_by from nonderiv_transactions "
                                        "where accession_number = '0099000002-24-000031'").fetchall())
    assert superseded == {1: "0099000002-24-000047_nt1", 2: None}  # row 2 was not restated: it stands


# ---- quality flags and tickers ---------------------------------------------------------------

def test_quality_flags_on_real_rows(corpus_db):
    flags = dict(corpus_db.execute("select id, quality_flags from nonderiv_transactions "
                                   "where quality_flags is not null").fetchall())
    assert flags["0001209191-13-014365_nt4"] == "direction_mismatch,holding_inconsistent"  # an S marked A
    munex = [flag for row_id, flag in flags.items() if "possible_duplicate" in flag]
    assert len(munex) >= 4  # the amendment and its original repeat the same trades
    assert not any("price_suspect" in flag for flag in flags.values())  # exercise prices are not suspect


@pytest.mark.parametrize("raw, cleaned", [
    ("aapl", ("AAPL", None)), ("NYSE:NYCB", ("NYCB", None)), ("ABCD.OB", ("ABCD", None)),
    ("BRK.A", ("BRK.A", None)), ("[ NONE ]", (None, "ticker_placeholder")), ("N/A", (None, "ticker_placeholder")),
    ("GEF,GEF.B", (None, "ticker_ambiguous")), ("LEN, LEN.B", (None, "ticker_ambiguous")),
    (None, (None, "ticker_placeholder")),
])
def test_clean_ticker(raw, cleaned):
    assert clean_ticker(raw) == cleaned


# ---- routine and opportunistic insiders ------------------------------------------------------

def trade_filing(accession: str, owner: int, day: str, price: float = 10.0, shares: int = 100) -> str:
    return f"""<?xml version="1.0"?><ownershipDocument><schemaVersion>X0306</schemaVersion>
<documentType>4</documentType><periodOfReport>{day}</periodOfReport>
<issuer><issuerCik>9900009999</issuerCik><issuerName>Constructed History Inc</issuerName><issuerTradingSymbol>CHIX</issuerTradingSymbol></issuer>
<reportingOwner><reportingOwnerId><rptOwnerCik>{owner}</rptOwnerCik><rptOwnerName>OWNER {owner}</rptOwnerName></reportingOwnerId>
<reportingOwnerRelationship><isDirector>1</isDirector></reportingOwnerRelationship></reportingOwner>
<nonDerivativeTable><nonDerivativeTransaction><securityTitle><value>Common Stock</value></securityTitle>
<transactionDate><value>{day}</value></transactionDate><transactionCoding><transactionFormType>4</transactionFormType>
<transactionCode>P</transactionCode><equitySwapInvolved>0</equitySwapInvolved></transactionCoding>
<transactionAmounts><transactionShares><value>{shares}</value></transactionShares>
<transactionPricePerShare><value>{price}</value></transactionPricePerShare>
<transactionAcquiredDisposedCode><value>A</value></transactionAcquiredDisposedCode></transactionAmounts>
<postTransactionAmounts><sharesOwnedFollowingTransaction><value>{shares}</value></sharesOwnedFollowingTransaction></postTransactionAmounts>
<ownershipNature><directOrIndirectOwnership><value>D</value></directOrIndirectOwnership></ownershipNature>
</nonDerivativeTransaction></nonDerivativeTable></ownershipDocument>"""


@pytest.fixture(scope="module")
def history_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    trades = {
        9900001111: ["2019-03-04", "2020-03-09", "2021-03-08", "2022-06-01"],  # March every year: routine
        9900002222: ["2019-01-07", "2020-05-11", "2021-09-13", "2022-06-02"],  # every year, no common month
        9900003333: ["2020-03-09", "2021-03-08", "2022-06-03"],  # missed 2019: unclassified in 2022
    }
    seq = 0
    for owner, days in trades.items():
        for day in days:
            seq += 1
            (folder / f"0099999999-22-{seq:06d}.xml").write_text(trade_filing(f"{seq}", owner, day))
    # Four ordinary purchases in one month and one whose "price" is the total: price_suspect.
    for n, price in enumerate([10.1, 10.2, 9.9, 10.0, 1010.0], start=1):
        (folder / f"0099999998-22-{n:06d}.xml").write_text(trade_filing("", 9900004444, f"2022-06-1{n}", price))
    db_path = folder / "form4.db"
    build([str(folder)], str(db_path))
    return sqlite_utils.Database(db_path)


def test_routine_and_opportunistic_insiders(history_db):
    classes = {(r["owner_cik"], r["year"]): r["class"] for r in rows(history_db, "select * from insider_classes")}
    assert classes[9900001111, 2022] == "routine"
    assert classes[9900002222, 2022] == "opportunistic"
    assert classes[9900003333, 2022] == "unclassified"
    assert classes[9900001111, 2021] == "unclassified"  # only two prior years
    on_trades = dict(history_db.execute("""select o.owner_cik, t.insider_class from nonderiv_transactions t
        join filing_owners o using (accession_number) where t.transaction_date like '2022-06-0%'""").fetchall())
    assert on_trades == {9900001111: "routine", 9900002222: "opportunistic", 9900003333: "unclassified"}


def test_classify_rule():
    assert classify({2019: {3, 4}, 2020: {4}, 2021: {1, 4}}, 2022) == ("routine", "2019:03,04;2020:04;2021:01,04")
    assert classify({2019: {3}, 2020: {4}, 2021: {5}}, 2022)[0] == "opportunistic"
    assert classify({2020: {3}, 2021: {3}}, 2022)[0] == "unclassified"


def test_a_total_typed_as_a_price_is_suspect(history_db):
    flagged = [r["price_per_share"] for r in rows(
        history_db, "select price_per_share from nonderiv_transactions where quality_flags like '%price_suspect%'")]
    assert flagged == [1010]


# ---- recomputation ---------------------------------------------------------------------------

def test_derive_recomputes_the_same_without_reparsing(tmp_path, sample_db_path):
    db_path = tmp_path / "form4.db"
    db_path.write_bytes(sample_db_path.read_bytes())
    before = sorted(sqlite_utils.Database(db_path).conn.iterdump())
    with sqlite3.connect(db_path) as conn:
        conn.execute("update nonderiv_transactions set value_usd = null, is_10b5_1 = null")
    result = CliRunner().invoke(cli, ["derive", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    # Sorted: a whole derive builds the wide tables' indexes (and their statistics) anew, after the others.
    assert sorted(sqlite_utils.Database(db_path).conn.iterdump()) == before


def test_a_second_derive_rewrites_only_the_rows_amendments_mark(tmp_path, corpus_db_path):
    db_path = tmp_path / "form4.db"
    db_path.write_bytes(corpus_db_path.read_bytes())
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TEMP TABLE rewritten (id TEXT)")
    for table in ("nonderiv_transactions", "deriv_transactions", "filings"):
        key = "accession_number" if table == "filings" else "id"
        conn.execute(f"CREATE TEMP TRIGGER rewritten_{table} AFTER UPDATE ON main.{table} "
                     f"BEGIN INSERT INTO rewritten VALUES (new.{key}); END")
    derive(conn)
    rewritten = {row_id for row_id, in conn.execute("SELECT id FROM rewritten")}
    superseded = {row_id for table in ("nonderiv_transactions", "deriv_transactions") for row_id, in conn.execute(
        f"SELECT id FROM {table} WHERE superseded_by IS NOT NULL")}
    assert superseded and rewritten <= superseded  # unmarked and marked again, in the order of a whole pass
    conn.close()
