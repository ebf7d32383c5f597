"""Rule 10b5-1, row by row, from what the footnotes, the remarks and the checkbox say.

- A footnote on a row speaks for that row.
- Text on no row (the remarks, a footnote no row cites) speaks for the rows its wording covers:
  "the sales reported" the S rows, "the purchases" the P rows, "the option exercise and sales"
  the M, X, O and S rows, "the transactions reported" every row; a statement that names none
  ("effected pursuant to a Rule 10b5-1 plan") the filing's open-market purchases and sales.
- A sentence speaks when it ties a trade to a plan ("pursuant to", "under", "in accordance with",
  ...). An explicit negation ("not made pursuant to ... Rule 10b5-1(c)") says 0. A plan
  terminated, one adopted for trades to come, or a mere mention ("Mr. Flynn adopted a 10b5-1
  Plan") says nothing of the row, and never 1.
- Where no text speaks: the aff10b5One checkbox (from April 2023). Unchecked: 0. Checked: 1 on
  the open-market purchases and sales, unknown (NULL) elsewhere: the form says only that *a*
  transaction was made under a plan. No checkbox: NULL.

plan_adopted_on is a date the text ties to the adoption, before or after the verb ("adopted on
...", "On December 15, 2022, the reporting person adopted ...", "plan dated ...", "adoption date:
03-13-2023"): never a disclosure, modification or expiry date, a bound ("adopted prior to ..."), or
a date no adoption wording governs. Of a plan adopted and later modified, the adoption.
"""

import re
import sqlite3
from functools import lru_cache

from ..schema import rows_marked
from .open_market import IS_OPEN_MARKET
from .scope import Scope
from .text_dates import DATE, iso_date

# The rule as filers write it, misspellings too: "10b5-1", "10b-51", "105b-1", "a 10b5 plan",
# "a Rule 10b5-trading plan".
RULE_10B5_1 = re.compile(r"10b[\s\-\u2010-\u2015]?5[\s\-\u2010-\u2015]?1|105b[\s\-]?1"
                         r"|\b10b-?5\b(?=[\s\-]*(?:trading\s+|sales?\s+)?plan)", re.IGNORECASE)
MAY_MENTION_RULE = re.compile("10[bB]|105[bB]")  # a quick test before RULE_10B5_1's own
REMARKS_MAY_MENTION_RULE = "remarks LIKE '%10%b%'"  # in SQL, before RULE_10B5_1 reads it

# What makes a sentence speak of the rows, in the order it is read.
NEGATED = re.compile(r"\b(not|never|no longer|none of|neither|nor|outside( of)?|other than|without)\b", re.I)
ENDED_OR_TO_COME = re.compile(
    r"\b(terminat\w*|cancel\w*|revok\w*|rescind\w*|withdr[ae]wn?)\b"
    r"|\b(may|will|would|shall|could)\s+(be\s+|begin|commence|occur|take place|start)"
    r"|\bto be (effected|made|sold|executed|purchased)\b|\bfuture\b", re.I)
TIED_TO_A_TRADE = re.compile(
    r"\bpursuant\b|\bunder\b|\bin accordance\b|\bin compliance\b|\bcomplying\b|\bcomplies\b|\bthrough the use\b"
    r"|\bintended to (comply|satisfy|qualify)\b|\bqualified\b|\bconducted\b|\btook place\b|\bas part of\b", re.I)

# Which rows a sentence on no row covers, from the words it names them with.
CODES_NAMED = [
    (re.compile(r"\b(sales?|sold|sell\w*|dispos\w*)\b", re.I), "S"),
    (re.compile(r"\b(purchas\w*|bought|buy\w*|acqui\w*)\b", re.I), "P"),
    (re.compile(r"\bexercis\w*\b", re.I), "M,X,O"),
    (re.compile(r"\bconver\w*\b", re.I), "C"),
    (re.compile(r"\bgifts?\b", re.I), "G"),
]
EVERY_ROW = re.compile(r"\b(transactions?|trades?|all)\b", re.I)
SUBJECT_END = re.compile(r"\b(pursuant|under|in accordance|in compliance|through the use|was|were|is|are)\b", re.I)

# Sentences end at ". " or "; ", but not after a title or an initial ("Mr. Flynn", "Mark A. Smith").
ABBREVIATION = re.compile(r"\b(Mr|Ms|Mrs|Dr|Jr|Sr|Messrs|Inc|Corp|Co|Ltd|No|St|[A-Z])\.", re.I)
SENTENCE_END = re.compile(r"(?<=[.;])\s+")


def sentences(text: str) -> list[str]:
    return SENTENCE_END.split(ABBREVIATION.sub(r"\1", " ".join(text.split())))


def covered_rows(sentence: str) -> str:
    """Which rows a sentence on no row speaks for: 'all', 'open_market', or the transaction codes
    it names as ',S,M,' — from the words before the verb, else from the whole sentence."""
    subject = sentence[:end.start()] if (end := SUBJECT_END.search(sentence)) else sentence
    for words in (subject, sentence):
        codes = [code for pattern, code in CODES_NAMED if pattern.search(words)]
        if codes:
            return f",{','.join(codes)},"
        if EVERY_ROW.search(words):
            return "all"
    return "open_market"


def what_sentence_says(sentence: str) -> int | None:
    """1 when the sentence ties a trade to a Rule 10b5-1 plan, 0 when it denies it, None when it
    says neither (a plan ended or to come, a mere mention)."""
    mention = RULE_10B5_1.search(sentence)
    if NEGATED.search(sentence[:mention.start()]):
        return 0
    if ENDED_OR_TO_COME.search(sentence) or not TIED_TO_A_TRADE.search(sentence):
        return None
    return 1


# ---- adoption dates ------------------------------------------------------------------------

# Between an adoption verb and its date: no other event's wording, no bound.
GAP = (r"(?:(?!\b(?:disclos\w*|modif\w*|amend\w*|filed|reported|announc\w*|expir\w*|terminat\w*|prior|before|after"
       r"|until|through|effected|sold|made|sales?|purchases?|trades?|transactions?|begin\w*|commenc\w*|start\w*"
       r"|vest\w*|grant\w*)\b)[^.;]){0,90}?")
ADOPTION_DATES = [re.compile(pattern, re.I) for pattern in (
    rf"\b(?:adopted|adopting|entered into|established|instituted|put in place)\b{GAP}\b(?:on|as of|effective)?\s*"
    rf"(?<!dtd )(?<!dated ){DATE}",  # not a trust's date: "the Still Family Trust, DTD 3/12/1996"
    rf"\bon\s+{DATE},?\s+(?:(?!\b(?:disclos|modif|amend)\w*)[^.;]){{0,80}}?\b(?:adopted|entered into|established)\b",
    rf"\b(?:plan|instruction|authorization|agreement|arrangement)s?,?\s+"
    rf"(?:dated|dated as of|executed[^.;]{{0,40}}?\bon)\s+{DATE}",
    rf"\b(?:adoption date|date of adoption|adopted)\s*:\s*{DATE}",
)]


ADOPTION_WORDING = re.compile(r"adopt|entered|establish|institut|put in place|dated|executed", re.I)


def adoption_date(text: str, text_sentences: list[str] | None = None) -> str | None:
    """The first date the text ties to the adoption of a plan, ISO; None when it ties none."""
    for sentence in text_sentences or sentences(text):
        if not ADOPTION_WORDING.search(sentence):
            continue
        found = [(match.start(), day) for pattern in ADOPTION_DATES for match in pattern.finditer(sentence)
                 if (day := iso_date(match))]
        if found:
            return min(found)[1]
    return None


@lru_cache(maxsize=32768)  # the same footnote text recurs across filings
def read_10b5_1(text: str | None) -> tuple[tuple[tuple[str, int], ...], str | None] | None:
    """What a footnote or remarks text says of Rule 10b5-1: ((rows covered, 1 or 0) for each
    sentence that speaks, adoption date or None), or None when it mentions the rule and says
    nothing of a trade, or does not mention it."""
    if not text or not RULE_10B5_1.search(text):
        return None
    text_sentences = sentences(text)
    said = tuple((covered_rows(sentence), verdict) for sentence in text_sentences
                 if RULE_10B5_1.search(sentence) and (verdict := what_sentence_says(sentence)) is not None)
    return (said, adoption_date(text, text_sentences)) if said else None


# ---- onto the rows -------------------------------------------------------------------------

def read_10b5_1_footnotes(chunk) -> list[tuple]:
    """temp.footnote_10b5_1 rows from (footnote, accession, footnote id, text) rows: one for each
    sentence that speaks, in order."""
    said = []
    for footnote, accession, footnote_id, text in chunk:
        if MAY_MENTION_RULE.search(text) and (found := read_10b5_1(text)):
            statements, adopted = found
            said.extend((footnote, accession, footnote_id, verdict, adopted, rows, seq)
                        for seq, (rows, verdict) in enumerate(statements))
    return said


def create_footnote_10b5_1(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.footnote_10b5_1")
    conn.execute("CREATE TEMP TABLE footnote_10b5_1 (footnote, accession_number, footnote_id, is_10b5_1, adopted, "
                 "covers, seq)")


def filing_10b5_1(conn: sqlite3.Connection, scope: Scope) -> None:
    """temp.filing_10b5_1: what each filing's remarks, and the footnotes no row cites, say of
    Rule 10b5-1, one row per sentence that speaks: (accession, flag, evidence, footnote id,
    adoption date, rows covered, precedence). Remarks come first, then the footnotes in order."""
    conn.execute("DROP TABLE IF EXISTS temp.filing_10b5_1")
    conn.execute("CREATE TEMP TABLE filing_10b5_1 (accession_number, is_10b5_1, evidence, footnote, adopted, covers, "
                 "precedence)")
    remarks = conn.execute(f"SELECT accession_number, remarks FROM filings WHERE {REMARKS_MAY_MENTION_RULE} "
                           f"AND {scope.added('accession_number')}").fetchall()
    for accession, text in remarks:
        if said := read_10b5_1(text):
            statements, adopted = said
            conn.executemany("INSERT INTO temp.filing_10b5_1 VALUES (?, ?, ?, NULL, ?, ?, ?)", [
                (accession, verdict, "remarks" if verdict else "remarks_negative", adopted, rows, seq)
                for seq, (rows, verdict) in enumerate(statements)])
    conn.execute("""INSERT INTO temp.filing_10b5_1
        SELECT accession_number, is_10b5_1,
               CASE WHEN is_10b5_1 THEN 'filing_footnote' ELSE 'filing_footnote_negative' END, footnote_id, adopted,
               covers, 1000 + row_number() OVER (PARTITION BY accession_number ORDER BY footnote, seq)
        FROM temp.footnote_10b5_1 n WHERE NOT EXISTS (
            SELECT 1 FROM filings f JOIN footnote_marks r ON r.filing_rowid = f.rowid
            WHERE f.accession_number = n.accession_number AND r.footnote_id = n.footnote_id)""")
    conn.execute("CREATE INDEX temp.filing_10b5_1_by_accession ON filing_10b5_1 (accession_number)")


def open_market_of(table: str) -> str:
    """is_open_market = 1 of a row t of ``table``, as SQL: Table II rows never are."""
    return f"(({IS_OPEN_MARKET}) = 1)" if table == "nonderiv_transactions" else "0"


def note_10b5_1(conn: sqlite3.Connection, table: str) -> None:
    """temp.said_10b5_1: (rowid, flag, evidence, footnote id, adoption date) for the rows whose own
    footnotes speak of Rule 10b5-1 (a statement that the trade was under a plan wins over one that
    it was not, then the first footnote), then for the rows that text on no row covers (the
    remarks first). (INSERT OR IGNORE keeps a row's first, in the order of the SELECT.)"""
    conn.execute("DROP TABLE IF EXISTS temp.said_10b5_1")
    conn.execute("CREATE TEMP TABLE said_10b5_1 (rid INTEGER PRIMARY KEY, is_10b5_1, evidence, footnote, adopted)")
    conn.execute(f"""INSERT OR IGNORE INTO temp.said_10b5_1
        SELECT t.rowid, n.is_10b5_1, CASE WHEN n.is_10b5_1 THEN 'footnote' ELSE 'footnote_negative' END,
               n.footnote_id, n.adopted
        FROM temp.footnote_10b5_1 n
        {rows_marked('n', table)}
        ORDER BY t.rowid, n.is_10b5_1 DESC, n.footnote_id, n.seq""")
    conn.execute(f"""INSERT OR IGNORE INTO temp.said_10b5_1
        SELECT t.rowid, s.is_10b5_1, s.evidence, s.footnote, s.adopted
        FROM temp.filing_10b5_1 s CROSS JOIN {table} t ON t.accession_number = s.accession_number
        WHERE CASE s.covers WHEN 'all' THEN 1 WHEN 'open_market' THEN {open_market_of(table)}
                            ELSE instr(s.covers, ',' || t.transaction_code || ',') > 0 END
        ORDER BY t.rowid, s.precedence""")


def rule_10b5_1_facts(table: str) -> dict[str, str]:
    """The row's Rule 10b5-1 columns as SQL: what its footnotes or its filing's text say (s, from
    temp.said_10b5_1), else the filing's checkbox."""
    checked = f"f.aff10b5one = 1 AND {open_market_of(table)}"
    return {
        "is_10b5_1": f"CASE WHEN s.rid IS NOT NULL THEN s.is_10b5_1 WHEN f.aff10b5one = 0 THEN 0 "
                     f"WHEN {checked} THEN 1 END",
        "rule_10b5_1_evidence": f"""CASE WHEN s.rid IS NOT NULL THEN s.evidence
            WHEN f.aff10b5one = 0 THEN 'checkbox_unchecked' WHEN {checked} THEN 'checkbox' END""",
        "rule_10b5_1_footnote": "s.footnote",
        "plan_adopted_on": "CASE WHEN s.is_10b5_1 = 1 THEN s.adopted END",
    }
