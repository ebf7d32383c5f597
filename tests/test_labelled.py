"""The derived facts against real rows and owners labelled by hand (tests/labels/): each label
was decided by reading the filing's text, and carries the quote that decides it. Accuracy is
reported per fact and must be at least 98% for each."""

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.usefixtures("corpus")
LABELS = Path(__file__).parent / "labels"
ROW_FACTS = ("is_10b5_1", "plan_adopted_on", "price_low", "price_high", "is_open_market")
OWNER_FACTS = ("is_ceo", "is_cfo", "is_coo", "is_president", "is_chair", "is_general_counsel")
REQUIRED = 0.98


def labelled(pattern: str) -> list[dict]:
    return [entry for path in sorted(LABELS.glob(pattern)) for entry in yaml.safe_load(path.read_text())]


def accuracy(db, entries: list[dict], facts: tuple[str, ...], table_of) -> tuple[dict, list[str]]:
    """(fact -> (right, labelled)), and a line for each wrong value."""
    counts, misses = {fact: [0, 0] for fact in facts}, []
    for entry in entries:
        row = db.execute(f"select * from {table_of(entry['id'])} where id = ?", [entry["id"]]).fetchone()
        assert row is not None, f"labelled row {entry['id']} is not in the database"
        got = dict(zip([c[0] for c in db.execute(f"select * from {table_of(entry['id'])} limit 0").description], row))
        for fact in facts:
            if fact not in entry:
                continue  # is_open_market is labelled on Table I rows only
            counts[fact][1] += 1
            expected, value = entry[fact], got[fact]
            right = value == expected or (value is not None and expected is not None
                                          and abs(float(value) - float(expected)) < 1e-9)
            counts[fact][0] += right
            if not right:
                misses.append(f"{entry['id']} {fact}: expected {expected!r}, got {value!r} — {entry['quote']!r}")
    return counts, misses


def report(title: str, counts: dict) -> str:
    return title + ": " + ", ".join(f"{fact} {right}/{total} ({right / total:.1%})"
                                    for fact, (right, total) in counts.items())


def test_labelled_sets_are_large_and_varied():
    rows, owners = labelled("rows*.yaml"), labelled("owners.yaml")
    assert len(rows) >= 200 and len({entry["id"] for entry in rows}) == len(rows)
    assert len(owners) >= 100 and len({entry["id"] for entry in owners}) == len(owners)
    assert len({entry["id"].split("_")[0] for entry in rows}) >= 200  # from many filings
    assert len({entry["id"].split("_")[0] for entry in owners}) >= 100
    assert all(entry["quote"] or entry.get("why") for entry in rows + owners)  # the deciding text, or why none
    kinds = {(entry["is_10b5_1"], entry["plan_adopted_on"] is not None, entry["price_low"] is not None)
             for entry in rows}
    assert len(kinds) >= 5  # plans with and without dates, ranges, nothing said


def test_row_facts_agree_with_the_labels(real_db, capsys):
    counts, misses = accuracy(real_db, labelled("rows*.yaml"), ROW_FACTS,
                              lambda row_id: "nonderiv_transactions" if "_nt" in row_id else "deriv_transactions")
    with capsys.disabled():
        print("\n" + report("labelled rows", counts))
    assert all(right / total >= REQUIRED for right, total in counts.values()), "\n".join(misses)


def test_owner_roles_agree_with_the_labels(real_db, capsys):
    counts, misses = accuracy(real_db, labelled("owners.yaml"), OWNER_FACTS, lambda _: "filing_owners")
    with capsys.disabled():
        print("\n" + report("labelled owners", counts))
    assert all(right / total >= REQUIRED for right, total in counts.values()), "\n".join(misses)
