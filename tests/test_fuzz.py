"""Any input to any reader either loads or is refused with a reason (ReadError): no other
exception escapes. Mutations of real filings, random bytes and random TSV cells (hypothesis)."""


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from form4db.model import ReadError
from form4db.readers.full_submission import read_full_submission
from form4db.readers.insider_datasets import filings, read_quarter
from form4db.readers.ownership_xml import read_ownership_xml
from form4db.readers.rendered_html import read_rendered_html
from form4db.readers.rendered_text import read_rendered_text

from .conftest import CORPUS

pytestmark = pytest.mark.usefixtures("corpus")
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# (glob, not iterdir: without the corpus, collecting this module must still work, so its tests can skip)
XML = sorted((CORPUS / "xml").glob("*.xml"))[:40]
SUBMISSIONS = sorted((CORPUS / "txt").glob("*"))
SLICE = CORPUS / "insider-datasets" / "2024q3_form345_slice"
RENDERED_TEXT = [CORPUS.parent / "seed" / "000_20df6d6f311adac3.txt"]
LEGACY_TEXT = sorted((CORPUS / "text").glob("*"))
HTML = sorted((CORPUS / "html").glob("*"))


def mutations(sources):
    """A real file with a slice cut out, replaced or repeated, or bytes flipped."""
    return st.tuples(st.sampled_from(sources), st.integers(0, 10**6), st.integers(0, 200),
                     st.binary(max_size=40), st.sampled_from(["cut", "replace", "repeat", "flip"])).map(mutate)


def mutate(case):
    path, at, length, insert, how = case
    data = path.read_bytes()
    at %= max(len(data), 1)
    if how == "cut":
        return data[:at] + data[at + length:]
    if how == "replace":
        return data[:at] + insert + data[at + length:]
    if how == "repeat":
        return data[:at] + data[at:at + length] * 50 + data[at:]
    return data[:at] + bytes(b ^ 0xFF for b in data[at:at + length]) + data[at + length:]


def loads_or_refuses(reader, data):
    try:
        filing = reader(data, "fuzz", "fuzz_0001234567-24-000001.xml")
    except ReadError as error:
        assert str(error)  # always a reason
        return
    assert filing.accession_number and filing.document.get("document_type") in {"3", "3/A", "4", "4/A", "5", "5/A"}


READERS = {  # each reader, with the real files its mutations start from
    "ownership XML": (read_ownership_xml, XML),
    "full submissions": (read_full_submission, SUBMISSIONS),
    "pre-2003 text filings": (read_full_submission, LEGACY_TEXT),
    "forms rendered as text": (read_rendered_text, RENDERED_TEXT),
    "EDGAR's HTML view": (read_rendered_html, HTML),
}


@pytest.mark.parametrize("kind", READERS)
@SETTINGS
@given(data=st.data())
def test_mutated_real_filings(kind, data):
    reader, sources = READERS[kind]
    loads_or_refuses(reader, data.draw(mutations(sources)))


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    for reader in (read_ownership_xml, read_full_submission, read_rendered_text, read_rendered_html):
        loads_or_refuses(reader, data)


CELLS = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"),
                          max_size=30),
                  st.sampled_from(["", "31-FEB-2024", "01-JAN-1900", "1e308", "-0.0", "NaN", '"', '""', "F1,F2",
                                   "Director Officer", "0001234567", "9" * 40]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_cells_in_a_data_set(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("quarter")
    for source in SLICE.glob("*.tsv"):
        lines = source.read_text().splitlines()
        header, rows = lines[0], lines[1:6]
        width = header.count("\t") + 1
        fuzzed = ["\t".join([row.split("\t")[0], *data.draw(st.lists(CELLS, min_size=width - 1, max_size=width + 2))])
                  for row in rows]
        (folder / source.name).write_text("\n".join([header, *rows, *fuzzed]) + "\n")
    try:
        quarter = read_quarter(folder, "fuzz")
    except ReadError:
        return
    try:
        for filing in filings(quarter):
            assert isinstance(filing, ReadError) or filing.accession_number
    finally:
        quarter.close()


@pytest.mark.parametrize("digits", ["00000379¹6", "٣٣٣", "0000１２３"])
def test_digits_that_are_not_ascii_are_not_numbers(digits):
    """Found by bench/fuzz.py: str.isdigit() takes them, int() refuses or misreads them."""
    data = (CORPUS / "txt" / "air_4_0001127602-25-001055.txt").read_bytes()
    filing = read_full_submission(data.replace(b"0001806647", digits.encode()), "x.txt", "x.txt")
    assert filing.entities[0]["cik"] is None
    xml = (CORPUS / "xml").glob("*0001628280-24-030951*").__next__().read_bytes()
    loads_or_refuses(read_ownership_xml, xml.replace(b"<issuerCik>", f"<issuerCik>{digits}".encode(), 1))
