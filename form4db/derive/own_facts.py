"""A transaction row's own facts, as SQL on the row t, its filing f and the calendar days it was
traded and filed: dollar value, holding before and its change, filing delay and lateness."""

GIFTS_DUE_ON_FORM_4_FROM = "2023-02-27"  # before, bona fide gifts could wait for Form 5

# Sums and differences of filed quantities are rounded to 6 decimals, more than filers give: the
# decimal the numbers make, without binary floating-point tails (35.7, not 35.7000000000007).
EXACT_DECIMALS = 6
OWNED_BEFORE = """(CASE WHEN t.acquired_disposed = 'A' THEN t.shares_owned_after - t.shares
    WHEN t.acquired_disposed = 'D' THEN t.shares_owned_after + t.shares END)"""

# Columns of a row t, as SQL.
VALUE = "(CASE WHEN t.shares IS NOT NULL AND t.price_per_share IS NOT NULL " \
        "THEN round(t.shares * t.price_per_share, 2) END)"
VALUE_FACTS = {"value_usd": VALUE}
HOLDING_FACTS = {  # Table I only. A negative holding before is left empty (and flagged holding_inconsistent).
    "owned_before": f"CASE WHEN {OWNED_BEFORE} >= 0 THEN round({OWNED_BEFORE}, {EXACT_DECIMALS}) END",
    "owned_change_pct": f"""CASE WHEN {OWNED_BEFORE} > 0
        THEN round(100.0 * (t.shares_owned_after - {OWNED_BEFORE}) / {OWNED_BEFORE}, 2) END""",
}
# ---- filing delay ------------------------------------------------------------------------

# Business days from trade (or deemed execution) date to filing date; late when over 2 on Form 4.
#
# Lateness applies to rows of original Forms 4 that belong on Form 4: not to Form 5-eligible
# rows, gifts before 27 February 2023, amendments (the original is what was due) or Forms 3
# and 5 (deadlines of their own). Without a filing date (bare XML) both stay NULL. (The row's
# filing is f, its filing and trade days in the calendar filed and traded.)
DELAY = "(CASE WHEN traded.day <= f.filing_date THEN filed.business_day_seq - traded.business_day_seq END)"
DELAY_FACTS = {
    "filing_delay_bd": DELAY,
    "is_late": f"""CASE
        WHEN {DELAY} IS NULL THEN NULL
        WHEN coalesce(t.transaction_form_type, '4') != '4' THEN NULL
        WHEN t.transaction_code = 'G' AND coalesce(t.deemed_execution_date, t.transaction_date)
             < '{GIFTS_DUE_ON_FORM_4_FROM}' THEN NULL
        WHEN f.document_type != '4' THEN NULL
        ELSE {DELAY} > 2 END""",
}
