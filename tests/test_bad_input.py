"""Bad files land in build_errors with the reason; the files beside them load; nothing is resolved."""

import gzip
import shutil

import pytest
import sqlite_utils
from click.testing import CliRunner
from lxml import etree

from form4db.cli import cli
from form4db.readers.ownership_xml import PARSER

from .conftest import CORPUS_XML

pytestmark = pytest.mark.usefixtures("corpus")

GOOD = ["afrm_4_0001628280-24-030951.xml", "edr_4_0000899243-21-018445.xml"]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ownershipDocument><documentType>4</documentType><remarks>&lol9;</remarks></ownershipDocument>
"""


def external_entity(secret_path):
    return f"""<?xml version="1.0"?>
<!DOCTYPE ownershipDocument [<!ENTITY xxe SYSTEM "file://{secret_path}">]>
<ownershipDocument><documentType>4</documentType><periodOfReport>2024-01-02</periodOfReport>
<issuer><issuerCik>1</issuerCik><issuerName>&xxe;</issuerName></issuer>
<remarks>&xxe;</remarks></ownershipDocument>
""".encode()


def make_folder(tmp_path):
    folder = tmp_path / "input"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for name in GOOD:
        shutil.copy(CORPUS_XML / name, folder / name)
    whole = (CORPUS_XML / GOOD[0]).read_bytes()
    bad = {
        "empty.xml": b"",
        "blank.xml": b"  \n\n ",
        "truncated.xml": whole[: len(whole) // 2],
        "malformed.xml": b"<ownershipDocument><documentType>4</documentType><issuer></ownershipDocument>",
        "not-ownership.xml": b"<?xml version='1.0'?><rss><channel/></rss>",
        "form-10k.xml": b"<ownershipDocument><documentType>10-K</documentType></ownershipDocument>",
        "billion-laughs.xml": BILLION_LAUGHS,
        "external-entity.xml": external_entity(secret),
        "binary.xml": bytes(range(256)) * 4,
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    return folder, bad


@pytest.mark.parametrize("jobs", ["0", "2"])
def test_bad_files_are_recorded_and_neighbours_load(tmp_path, jobs):
    folder, bad = make_folder(tmp_path)
    db_path = tmp_path / "form4.db"
    result = CliRunner().invoke(cli, ["build", str(folder), "--db", str(db_path), "--jobs", jobs])
    assert result.exit_code == 0, result.output
    assert "11 files, 2 filings (2 new, 0 replaced, 0 unchanged)" in result.stdout
    assert f"{len(bad)} errors" in result.stdout
    for name in bad:
        assert f"warning: input/{name}: " in result.stderr
    assert len(result.stderr.splitlines()) == len(bad)  # no progress bar when not on a terminal
    db = sqlite_utils.Database(db_path)
    errors = {r["source_path"]: r["error"] for r in db.query("select * from build_errors")}
    assert set(errors) == {f"input/{name}" for name in bad}
    assert errors["input/empty.xml"] == "empty file"
    assert errors["input/blank.xml"] == "empty file"
    assert errors["input/truncated.xml"].startswith("not well-formed XML")
    assert errors["input/malformed.xml"].startswith("not well-formed XML")
    assert errors["input/not-ownership.xml"] == "root element is <rss>, not <ownershipDocument>"
    assert errors["input/form-10k.xml"] == "documentType '10-K' is not a Form 3, 4 or 5"
    assert errors["input/billion-laughs.xml"].startswith("refused: the document declares a DTD")
    assert errors["input/external-entity.xml"].startswith("refused: the document declares a DTD")
    assert db["filings"].count == 2
    assert db["nonderiv_transactions"].count == 1 and db["deriv_transactions"].count == 1
    dump = "\n".join(db.iterdump())
    assert "TOP-SECRET-CONTENT" not in dump and "lollol" not in dump


def test_strict_exits_non_zero_on_errors(tmp_path):
    folder, _ = make_folder(tmp_path)
    result = CliRunner().invoke(
        cli, ["build", str(folder), "--db", str(tmp_path / "f.db"), "--strict"])
    assert result.exit_code == 1
    assert sqlite_utils.Database(tmp_path / "f.db")["filings"].count == 2


def test_a_fixed_file_leaves_build_errors(tmp_path):
    folder, _ = make_folder(tmp_path)
    db_path = str(tmp_path / "form4.db")
    CliRunner().invoke(cli, ["build", str(folder), "--db", db_path])
    (folder / "empty.xml").write_bytes((CORPUS_XML / "brds_3_0000899243-21-044370.xml").read_bytes())
    CliRunner().invoke(cli, ["build", str(folder), "--db", db_path])
    db = sqlite_utils.Database(db_path)
    assert "input/empty.xml" not in {r["source_path"] for r in db.query("select * from build_errors")}
    assert db["filings"].count == 3


def test_parser_itself_never_expands_or_fetches_entities(tmp_path):
    # Belt and braces behind the DTD check: the parser alone neither fetches nor expands.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    root = etree.fromstring(external_entity(secret), PARSER)
    assert "TOP-SECRET-CONTENT" not in etree.tostring(root).decode()
    try:
        root = etree.fromstring(BILLION_LAUGHS, PARSER)
    except etree.XMLSyntaxError as error:
        assert "amplification" in str(error)
    else:
        assert "lollollol" not in etree.tostring(root).decode()


def test_a_huge_file_is_refused_unread(tmp_path):
    folder, _ = make_folder(tmp_path)
    with open(folder / "huge.xml", "wb") as huge:
        huge.truncate(65 << 20)  # sparse: no disk used, and never read
    result = CliRunner().invoke(cli, ["build", str(folder), "--db", str(tmp_path / "f.db")])
    assert "warning: input/huge.xml: larger than 64 MiB: not an ownership filing" in result.stderr
    assert "2 filings (2 new" in result.stdout


def test_compressed_files_are_read_and_bad_ones_recorded(tmp_path):
    """A .gz is read as the file inside it; one that does not decompress, or would decompress
    past the size bound, is an error naming it, and hostile XML inside is refused as outside."""
    folder = tmp_path / "input"
    folder.mkdir()
    whole = (CORPUS_XML / GOOD[0]).read_bytes()
    compressed = gzip.compress(whole)
    (folder / GOOD[0].replace(".xml", ".xml.gz")).write_bytes(compressed)
    bad = {
        "truncated.xml.gz": compressed[: len(compressed) // 2],
        "not-gzip.txt.gz": whole,
        "bomb.xml.gz": gzip.compress(b"\0" * (65 << 20)),  # 64 KB that would be 65 MiB
        "billion-laughs.xml.gz": gzip.compress(BILLION_LAUGHS),
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    result = CliRunner().invoke(cli, ["build", str(folder), "--db", str(tmp_path / "form4.db")])
    assert result.exit_code == 0 and "5 files, 1 filings (1 new" in result.stdout, result.output
    db = sqlite_utils.Database(tmp_path / "form4.db")
    errors = {r["source_path"]: r["error"] for r in db.query("select * from build_errors")}
    assert errors["input/truncated.xml.gz"].startswith("cannot decompress: ")
    assert errors["input/not-gzip.txt.gz"].startswith("cannot decompress: Not a gzipped file")
    assert errors["input/bomb.xml.gz"] == "larger than 64 MiB uncompressed: not an ownership filing"
    assert errors["input/billion-laughs.xml.gz"].startswith("refused: the document declares a DTD")
    [filing] = db.query("select accession_number, source_path from filings")
    assert filing == {"accession_number": "0001628280-24-030951", "source_path": f"input/{GOOD[0]}.gz"}
