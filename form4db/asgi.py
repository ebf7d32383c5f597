"""The site as an ASGI application, so a server can run it on several worker processes.

`datasette serve` runs one process, and one Python process uses one core. On a machine with
more, run the same configuration directory under uvicorn with a worker per core:

    FORM4DB_SITE=. uvicorn form4db.asgi:app --workers 2 --host 0.0.0.0 --port 8001

FORM4DB_SITE is the configuration directory (default: the current one): the databases in it,
metadata.yml, settings.json, plugins/ and templates/, exactly as `datasette serve DIR` reads
them. With inspect-data.json there, the databases are served immutable. FORM4DB_CORS=1 does what
`--cors` does. Every worker must sign with the same secret, so set DATASETTE_SECRET when running
more than one.
"""

import os
from pathlib import Path

from datasette.app import Datasette


def site_app(config_dir: Path, cors: bool = False):
    datasette = Datasette(config_dir=config_dir, cors=cors, secret=os.environ.get("DATASETTE_SECRET"))
    return datasette.app()


app = site_app(Path(os.environ.get("FORM4DB_SITE", ".")).resolve(), cors=bool(os.environ.get("FORM4DB_CORS")))
