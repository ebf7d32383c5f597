"""Every value reads the same before and after the layout of issue 23 (each footnote text stored
once, footnote references without their spelled-out keys, unused indexes dropped, the screener's
tables keyed by rowid, the ids of a filing's rows computed rather than stored).

tests/fixtures/layout-before-23.db.gz was built by the previous layout from 94 real and fictional
filings: 80 of the sample's, the 14 fictional ones, and the seed as rendered text (../shared/seed,
read where it is). A database of that layout moves to the new one when opened
(form4db publish, refresh and every build do that), and a fresh build of the same files reads
the same as well."""

import gzip
import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from form4db.build import build
from form4db.loader import CHILD_TABLES
from form4db.schema import (KEYED_BY_COLUMNS, KEYED_BY_POSITION, OBSOLETE_INDEXES, ROW_KEYS, ensure_schema,
                            store_footnotes, text_hash)

from .conftest import CORPUS, FICTIONAL, SAMPLE

BEFORE = Path(__file__).parent / "fixtures" / "layout-before-23.db.gz"
# The tables whose values a reader gives (derived columns aside); the rest is derived from them.
AS_FILED = ("filings", *(table for table in CHILD_TABLES if table not in ("filing_footnotes", "footnote_marks")),
            "footnotes", "footnote_refs", "issuers", "owners")


@pytest.fixture
def before(tmp_path) -> Path:
    path = tmp_path / "before.db"
    path.write_bytes(gzip.decompress(BEFORE.read_bytes()))
    return path


def published(db_path: Path) -> list[str]:
    """The tables and views of a database a user can query (full-text shadow tables aside)."""
    conn = sqlite3.connect(db_path)
    try:
        return [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '%_fts%' ORDER BY name")]
    finally:
        conn.close()


def schema_names(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [name for (name,) in conn.execute("SELECT name FROM sqlite_master")]
    finally:
        conn.close()


def values(db_path: Path, table: str, columns: list[str]) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        listed = ", ".join(f"[{column}]" for column in columns)
        return sorted(conn.execute(f"SELECT {listed} FROM [{table}]").fetchall(), key=repr)
    finally:
        conn.close()


def column_info(db_path: Path, table: str) -> list[tuple]:
    """PRAGMA table_xinfo: every column a query reads, computed ones too (table_info leaves those out)."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(f"PRAGMA table_xinfo([{table}])").fetchall()
    finally:
        conn.close()


def columns_of(db_path: Path, table: str) -> list[str]:
    return [row[1] for row in column_info(db_path, table)]


def computed_columns(db_path: Path, table: str) -> list[str]:
    return [row[1] for row in column_info(db_path, table) if row[6] == 2]  # hidden 2: a VIRTUAL generated column


def test_a_database_of_the_old_layout_moves_and_reads_the_same(before, tmp_path):
    after = tmp_path / "after.db"
    shutil.copy(before, after)
    with sqlite3.connect(after) as conn:
        ensure_schema(sqlite_utils.Database(conn))
    tables = published(before)
    assert {"footnotes", "footnote_refs", "trades", "issuer_insiders"} <= set(tables)
    for table in tables:
        columns = columns_of(before, table)
        assert set(columns) <= set(columns_of(after, table)), table
        assert values(after, table, columns) == values(before, table, columns), table
    conn = sqlite3.connect(after)
    kinds = dict(conn.execute("SELECT name, type FROM sqlite_master"))
    assert kinds["footnotes"] == kinds["footnote_refs"] == "view"
    assert not set(OBSOLETE_INDEXES) & set(kinds)
    texts, distinct = conn.execute("SELECT count(*), count(DISTINCT text) FROM footnote_texts").fetchone()
    assert texts == distinct == 234  # 276 footnotes, 234 texts
    # each text is searchable once: the index holds the texts, not the footnotes
    assert conn.execute("SELECT count(*) FROM footnote_texts_fts WHERE footnote_texts_fts MATCH 'weighted'").fetchone()[0] \
        == conn.execute("SELECT count(*) FROM footnote_texts WHERE text LIKE '%weighted%'").fetchone()[0] > 0
    # The tables that stored their id compute it, keyed by rowid or by filing and position (no
    # index beside the table); search finds the same rows.
    for table, (_, position) in ROW_KEYS.items():
        key = ["accession_number", position] if table in KEYED_BY_POSITION else ["rowid"]
        assert sqlite_utils.Database(before)[table].pks == ["id"] and sqlite_utils.Database(conn)[table].pks == key
        assert computed_columns(before, table) == [] and computed_columns(after, table) == ["id"]
        assert (f"idx_{table}_accession_number_{position}" in kinds) == (table not in KEYED_BY_POSITION)
    for table, key in KEYED_BY_COLUMNS.items():  # the derived tables keyed by the columns of their id
        assert sqlite_utils.Database(before)[table].pks == ["id"] and sorted(sqlite_utils.Database(conn)[table].pks) == sorted(key)
        assert computed_columns(after, table) == ["id"]
    for table in ("trades", "trades_by_filing"):
        assert sqlite_utils.Database(before)[table].pks == ["id"] and sqlite_utils.Database(conn)[table].pks == ["rowid"]
        assert computed_columns(after, table) == ["id", "insider_names", "roles"]
    # Every index of the tables moved has statistics, as a build's have, and none is left of an
    # index dropped.
    analyzed = {name for (name,) in conn.execute("SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL")}
    moved = {*ROW_KEYS, "trades", "trades_by_filing"}  # (issuer_insiders too, but never analyzed in the fixture)
    created = {name for name, table, sql in conn.execute("SELECT name, tbl_name, sql FROM sqlite_master "
                                                         "WHERE type = 'index'") if table in moved and sql}
    created |= set(KEYED_BY_POSITION)  # keyed WITHOUT ROWID: the key's statistics, under the table's name
    assert "idx_trades_transaction_code_filing_date_rowid_value_usd_is_officer_is_ceo_is_cfo" in created
    assert created - analyzed <= {"idx_nonderiv_transactions_sale_notice_id"}  # no notice in the fixture: empty
    assert analyzed <= set(kinds)
    assert searched(after, "Schwab") == searched(before, "Schwab") != []
    for table in ("trades", "filings"):  # the full-text indexes keep no sizes (columnsize=0)
        assert f"{table}_fts_docsize" in schema_names(before) and f"{table}_fts_docsize" not in kinds, table
    assert "footnote_texts_fts" in kinds and "footnote_texts_fts_docsize" not in kinds
    assert conn.execute("SELECT count(*) FROM filings_fts WHERE filings_fts MATCH 'exhibit'").fetchone()[0] \
        == conn.execute("SELECT count(*) FROM filings WHERE remarks LIKE '%exhibit%'").fetchone()[0] > 0


def test_a_move_stopped_midway_is_finished_when_opened_again(before, tmp_path):
    after = tmp_path / "after.db"
    shutil.copy(before, after)
    with sqlite3.connect(after) as conn:  # as if stopped after three tables were set aside
        conn.execute("PRAGMA legacy_alter_table = ON")
        for table in ("filing_owners", "signatures", "trades"):
            conn.execute(f"ALTER TABLE {table} RENAME TO {table}_stored_id")
    with sqlite3.connect(after) as conn:
        ensure_schema(sqlite_utils.Database(conn))
    for table in ("filing_owners", "trades", "signatures"):
        columns = columns_of(before, table)
        assert values(after, table, columns) == values(before, table, columns), table
    assert not [name for name in published(after) if name.endswith("_stored_id")]


def searched(db_path: Path, words: str) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return sorted(row_id for row_id, in conn.execute(
            "SELECT t.id FROM trades_fts f JOIN trades t ON t.rowid = f.rowid WHERE trades_fts MATCH ?", [words]))
    finally:
        conn.close()


def source_file(source_path: str) -> Path:
    """Where a file the fixture was built from is now."""
    name = source_path.split("/")[-1]
    for folder in (SAMPLE / "edgar-2023q1", SAMPLE, FICTIONAL):
        if (folder / name).exists():
            return folder / name
    if name == "seed_rendered.txt":
        return CORPUS.parent / "seed" / "000_20df6d6f311adac3.txt"
    raise FileNotFoundError(name)


@pytest.mark.usefixtures("corpus")
def test_a_fresh_build_of_the_same_filings_reads_the_same(before, tmp_path):
    folder = tmp_path / "layout_in"
    folder.mkdir()
    for (source_path,) in sqlite3.connect(before).execute("SELECT source_path FROM filings"):
        shutil.copy(source_file(source_path), folder / source_path.split("/")[-1])
    build([str(folder)], str(tmp_path / "fresh.db"))
    fresh = tmp_path / "fresh.db"
    older = set(published(before))
    for table in AS_FILED:
        if table not in older:  # a table added since (Form 144's): none of these filings has rows there
            assert values(fresh, table, ["accession_number"]) == [], table
            continue
        columns = columns_of(before, table)
        assert values(fresh, table, columns) == values(before, table, columns), table


def test_a_marker_on_no_row_has_no_table_and_no_row_id(tmp_path):
    """Markers of a rendered form's filing-level text (rendered_text gives them no row)."""
    db = sqlite_utils.Database(tmp_path / "marks.db")
    ensure_schema(db)
    db.execute("INSERT INTO footnote_fields VALUES (1, 'nature_of_ownership'), (2, 'remarks')")
    db.execute("INSERT INTO filings (rowid, accession_number) VALUES (7, '0000000000-23-000001')")
    db.execute("INSERT INTO footnote_marks VALUES (7, 1, 'F1', NULL, NULL, 2)")
    db.execute("INSERT INTO footnote_marks VALUES (7, 2, 'F2', 4, 3, 1)")  # deriv_holdings
    assert db.execute("SELECT * FROM footnote_refs ORDER BY id").fetchall() == [
        ("0000000000-23-000001_r1", "0000000000-23-000001", "0000000000-23-000001_F1", "F1", None, None, None,
         "remarks"),
        ("0000000000-23-000001_r2", "0000000000-23-000001", "0000000000-23-000001_F2", "F2", "deriv_holdings",
         "0000000000-23-000001_dh3", 3, "nature_of_ownership")]


@pytest.mark.parametrize("stopped", [False, True])
def test_marks_that_spelled_out_their_field_move_to_its_key(sample_db_path, tmp_path, stopped):
    """A database of the layout before footnote_fields (each marker's field name in footnote_marks);
    and one whose move was stopped once the old table was set aside."""
    named = tmp_path / "named.db"
    shutil.copy(sample_db_path, named)
    refs = values(named, "footnote_refs", columns_of(named, "footnote_refs"))
    with sqlite3.connect(named) as conn:
        conn.executescript(f"""
            DROP VIEW footnote_refs;
            CREATE TABLE marks_named (accession_number TEXT, seq INTEGER, footnote_id TEXT, row_table TEXT,
                                      row_seq INTEGER, field_name TEXT, PRIMARY KEY (accession_number, seq)) WITHOUT ROWID;
            INSERT INTO marks_named SELECT f.accession_number, m.seq, m.footnote_id, {CODE_IN_ID}, m.row_seq, k.field_name
                FROM footnote_marks m JOIN filings f ON f.rowid = m.filing_rowid
                LEFT JOIN footnote_fields k ON k.id = m.field_id;
            DROP TABLE footnote_marks;
            DROP TABLE footnote_fields;
            ALTER TABLE marks_named RENAME TO footnote_marks;""")
        if stopped:
            conn.execute("ALTER TABLE footnote_marks RENAME TO footnote_marks_named")
    with sqlite3.connect(named) as conn:
        ensure_schema(sqlite_utils.Database(conn))
    assert "field_name" not in columns_of(named, "footnote_marks") and "footnote_marks_named" not in published(named)
    assert len(refs) == 1798 and values(named, "footnote_refs", columns_of(named, "footnote_refs")) == refs
    assert values(named, "footnote_fields", ["field_name"]) == [
        (name,) for name in sorted({ref[-1] for ref in refs if ref[-1]})]


# The footnote tables and views as stop 34 published them: each filing under its accession number,
# a marked row's table as the code in its id.
CODE_IN_ID = "CASE m.row_table WHEN 1 THEN 'nt' WHEN 2 THEN 'nh' WHEN 3 THEN 'dt' WHEN 4 THEN 'dh' END"
FOOTNOTES_BY_ACCESSION = f"""
    DROP VIEW footnotes;
    DROP VIEW footnote_refs;
    CREATE TABLE by_accession (accession_number TEXT, footnote_id TEXT, text_id INTEGER,
                               PRIMARY KEY (accession_number, footnote_id)) WITHOUT ROWID;
    INSERT INTO by_accession SELECT f.accession_number, n.footnote_id, n.text_id
        FROM filing_footnotes n JOIN filings f ON f.rowid = n.filing_rowid;
    DROP TABLE filing_footnotes;
    ALTER TABLE by_accession RENAME TO filing_footnotes;
    CREATE INDEX idx_filing_footnotes_text_id ON filing_footnotes (text_id);
    CREATE TABLE marks_by_accession (accession_number TEXT, seq INTEGER, footnote_id TEXT, row_table TEXT,
                                     row_seq INTEGER, field_id INTEGER, PRIMARY KEY (accession_number, seq)) WITHOUT ROWID;
    INSERT INTO marks_by_accession SELECT f.accession_number, m.seq, m.footnote_id, {CODE_IN_ID}, m.row_seq, m.field_id
        FROM footnote_marks m JOIN filings f ON f.rowid = m.filing_rowid;
    DROP TABLE footnote_marks;
    ALTER TABLE marks_by_accession RENAME TO footnote_marks;
    CREATE VIEW footnotes AS
        SELECT n.accession_number || '_' || n.footnote_id AS id, n.accession_number, n.footnote_id, t.text, n.text_id
        FROM filing_footnotes n JOIN footnote_texts t ON t.id = n.text_id;
    CREATE VIEW footnote_refs AS
        SELECT accession_number || '_r' || seq AS id, accession_number, accession_number || '_' || footnote_id AS footnote,
               footnote_id, CASE row_table WHEN 'nt' THEN 'nonderiv_transactions' WHEN 'nh' THEN 'nonderiv_holdings'
                                           WHEN 'dt' THEN 'deriv_transactions' WHEN 'dh' THEN 'deriv_holdings' END,
               accession_number || '_' || row_table || row_seq AS row_id, row_seq, k.field_name
        FROM footnote_marks m LEFT JOIN footnote_fields k ON k.id = m.field_id;
    ANALYZE;"""


@pytest.mark.parametrize("stopped", [False, True])
def test_footnotes_filed_under_the_accession_number_move_to_the_filings_rowid(sample_db_path, tmp_path, stopped):
    """A database of stop 34's layout; and one whose move was stopped once a table was set aside."""
    moved = tmp_path / "by_accession.db"
    shutil.copy(sample_db_path, moved)
    views = ("footnotes", "footnote_refs")
    before = {view: values(moved, view, columns_of(moved, view)) for view in views}
    with sqlite3.connect(moved) as conn:
        conn.executescript(FOOTNOTES_BY_ACCESSION)
        if stopped:
            conn.executescript("DROP VIEW footnotes; ALTER TABLE filing_footnotes RENAME TO filing_footnotes_by_accession")
    with sqlite3.connect(moved) as conn:
        ensure_schema(sqlite_utils.Database(conn))
    for view in views:
        assert len(before[view]) > 1000 and values(moved, view, columns_of(moved, view)) == before[view], view
    db = sqlite_utils.Database(moved)
    assert db["filing_footnotes"].pks == ["filing_rowid", "footnote_id"] and db["footnote_marks"].pks == ["filing_rowid", "seq"]
    assert not [name for name in published(moved) if name.endswith("_by_accession")]
    # the texts' filings are indexed again, and the moved tables have statistics
    assert [index.name for index in db["filing_footnotes"].indexes if not index.name.startswith("sqlite_")] \
        == ["idx_filing_footnotes_text_id"]
    analyzed = {name for (name,) in db.execute("SELECT idx FROM sqlite_stat1")}
    assert {"filing_footnotes", "footnote_marks", "idx_filing_footnotes_text_id"} <= analyzed
    # a filing's footnotes are found through its accession number's index, not by a scan
    plan = " ".join(row[3] for row in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM footnote_refs WHERE accession_number = '0000002488-23-000005'"))
    assert "SCAN" not in plan


def test_footnote_texts_hashed_to_64_bits_are_hashed_again_and_found(sample_db_path, tmp_path):
    wide = tmp_path / "wide.db"
    shutil.copy(sample_db_path, wide)
    with sqlite3.connect(wide) as conn:
        conn.create_function("hash64", 1, lambda text: int.from_bytes(
            hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True))
        conn.execute("UPDATE footnote_texts SET text_hash = hash64(text)")
    db = sqlite_utils.Database(wide)
    texts = values(wide, "footnote_texts", ["id", "text"])
    ensure_schema(db)
    assert values(wide, "footnote_texts", ["id", "text"]) == texts
    assert all(hashed == text_hash(text) and -2**31 <= hashed < 2**31
               for text, hashed in db.execute("SELECT text, text_hash FROM footnote_texts"))
    # a text stored before is found by its new hash: another filing's footnote that reads the same shares it
    text_id, text = texts[0]
    db.execute("INSERT INTO filings (accession_number) VALUES ('0000000000-23-000009')")
    db.execute("CREATE TEMP TABLE staged AS SELECT '0000000000-23-000009' AS accession_number, 'F1' AS footnote_id, "
               "? AS text, ? AS text_hash", [text, text_hash(text)])
    store_footnotes(db.conn, "temp.staged")
    assert db["footnote_texts"].count == len(texts)
    assert db.execute("SELECT text_id FROM footnotes WHERE accession_number = '0000000000-23-000009'").fetchall() \
        == [(text_id,)]


def test_wide_tables_that_stored_every_insiders_name_move_and_read_the_same(sample_db_path, tmp_path):
    """A database of the layout before joint_insider_names: insider_names stored on every row, and
    the rowid undeclared."""
    stored = tmp_path / "stored.db"
    shutil.copy(sample_db_path, stored)
    tables = ("trades", "trades_by_filing")
    before = {table: values(stored, table, columns_of(stored, table)) for table in tables}
    with sqlite3.connect(stored) as conn:
        for table in tables:
            declared = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
            old_layout = declared.replace("rowid INTEGER PRIMARY KEY,", "").replace(
                "insider_names TEXT GENERATED ALWAYS AS (CASE WHEN insider_count > 1 THEN joint_insider_names "
                "ELSE insider_name END)\n        VIRTUAL,\n    joint_insider_names TEXT,", "insider_names TEXT,")
            assert len(old_layout) < len(declared) - len("rowid INTEGER PRIMARY KEY,")
            kept = [name for name in columns_of(stored, table)
                    if name not in ("rowid", "id", "roles", "joint_insider_names")]
            conn.executescript(f"""
                ALTER TABLE {table} RENAME TO {table}_new;
                {old_layout};
                INSERT INTO {table} (rowid, {', '.join(kept)}) SELECT rowid, {', '.join(kept)} FROM {table}_new;
                DROP TABLE {table}_new;""")
    assert "insider_names" not in computed_columns(stored, "trades") and "rowid" not in columns_of(stored, "trades")
    with sqlite3.connect(stored) as conn:
        ensure_schema(sqlite_utils.Database(conn))
    for table in tables:
        assert "insider_names" in computed_columns(stored, table) and columns_of(stored, table)[0] == "rowid"
        assert values(stored, table, columns_of(stored, table)) == before[table], table
    joint = values(stored, "trades", ["insider_names", "joint_insider_names"])
    assert sum(1 for names, stored_names in joint if stored_names) == 24
    assert all(names == stored_names for names, stored_names in joint if stored_names)
