"""Nobody can change the published data through the site: every way to write through Datasette's
SQL, its canned queries or its API is refused, errors show no stack trace, and the responses
carry security headers."""

import hashlib
import shutil
import subprocess
import sys
import urllib.parse

import httpx
import pytest
import yaml

from .conftest import METADATA, serving

pytestmark = pytest.mark.usefixtures("corpus")

WRITES = [
    "insert into filings (accession_number) values ('0000000000-00-000000')",
    "update filings set issuer_name = 'HACKED'",
    "delete from nonderiv_transactions",
    "drop table footnotes",
    "create table x (y)",
    "attach database '/tmp/form4db-attack.db' as attack",
    "pragma writable_schema = 1",
    "pragma journal_mode = delete",
    "vacuum",
    "select load_extension('/lib/x86_64-linux-gnu/libc.so.6')",
    "select 1; delete from filings",
    "insert into footnotes_fts (footnotes_fts) values ('delete-all')",
    "with x as (select 1) delete from filings",
    "replace into filings (accession_number) values ('0000000000-00-000000')",
]


def database_bytes(folder):
    return hashlib.sha256((folder / "form4.db").read_bytes()).hexdigest()


def count_filings(url):
    return httpx.get(f"{url}/form4/filings.json?_size=0").json()["filtered_table_rows_count"]


@pytest.mark.parametrize("sql", WRITES)
def test_no_write_through_sql(site_server, sql):
    url, folder = site_server
    before, filings = database_bytes(folder), count_filings(url)
    response = httpx.get(f"{url}/form4.json?sql={urllib.parse.quote(sql)}&_shape=objects")
    assert response.status_code in (400, 403, 500) or response.json().get("ok") is False, response.text[:300]
    assert "Traceback" not in response.text
    assert database_bytes(folder) == before
    assert count_filings(url) == filings == 831


def test_no_canned_query_writes():
    queries = yaml.safe_load(METADATA.read_text())["databases"]["form4"]["queries"]
    assert queries and all(not query.get("write") for query in queries.values())


@pytest.mark.parametrize("path", ["/form4/filings/-/insert", "/form4/-/create", "/form4/filings/-/drop",
                                  "/-/permissions", "/form4/nonderiv_transactions/0001628280-24-030951_nt1/-/delete"])
def test_no_write_api(site_server, path):
    url, _ = site_server
    response = httpx.post(url + path, json={"row": {"accession_number": "x"}})
    assert response.status_code in (403, 404, 405), (path, response.status_code)


def test_errors_show_no_stack_trace(site_server):
    url, _ = site_server
    for path in ["/form4.json?sql=select+nonsense+from+nowhere", "/form4/no_such_table", "/form4/filings/x/y/z",
                 "/form4.json?sql=select+" + "1," * 5000 + "1"]:
        response = httpx.get(url + path)
        assert response.status_code >= 400 and "Traceback" not in response.text, path


def test_security_headers(site_server):
    url, _ = site_server
    for path in ["/", "/form4/filings", "/form4/filings.json"]:
        headers = httpx.get(url + path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "SAMEORIGIN", path
        # Datasette's own, stricter no-referrer stands where it sets one.
        assert headers["referrer-policy"] in ("strict-origin-when-cross-origin", "no-referrer"), path


def test_site_on_several_worker_processes(site_server, tmp_path):
    """form4db.asgi under uvicorn with two workers serves the same site, immutable and read-only."""
    _, built = site_server
    folder = tmp_path / "site"
    shutil.copytree(built, folder)
    subprocess.run([f"{sys.prefix}/bin/datasette", "inspect", "form4.db", "--inspect-file", "inspect-data.json"],
                   cwd=folder, check=True)
    command = [f"{sys.prefix}/bin/uvicorn", "form4db.asgi:app", "--workers", "2"]
    with serving(folder, command, env={"FORM4DB_SITE": str(folder), "DATASETTE_SECRET": "test"}) as url:
        assert httpx.get(f"{url}/-/databases.json").json()[0]["is_mutable"] is False
        assert httpx.get(f"{url}/-/metadata.json").json()["title"] == yaml.safe_load(METADATA.read_text())["title"]
        for _ in range(6):  # connections land on either worker
            assert count_filings(url) == 831
            assert httpx.get(f"{url}/form4/filings").headers["x-frame-options"] == "SAMEORIGIN"
        before = database_bytes(folder)
        response = httpx.get(f"{url}/form4.json?sql={urllib.parse.quote(WRITES[1])}")
        assert response.status_code >= 400 and "Traceback" not in response.text
        assert database_bytes(folder) == before
