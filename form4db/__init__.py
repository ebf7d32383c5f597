"""form4db: SEC insider-ownership filings (Forms 3, 4, 5) as one normalized SQLite database."""

__version__ = "0.1.0"
