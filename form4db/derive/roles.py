"""Owners' roles in the issuer: CEO, CFO, COO, president, chair and general counsel, read from
the officer title as filed (with the owner's other text), and from the filing's remarks where
the title says "See Remarks".

A role is
- the issuer's own: a segment's, region's or subsidiary's head is not ("President, Americas",
  "CEO of Ford Pro", "EVP, CEO--Health & Wellness", "Pres. & CEO, Southern Nuclear");
- current: "Former CFO", "Chair Emeritus" are not; interim and acting roles are;
- exact: a vice chair is not the chair, an executive vice president not the president, a chief
  accounting or deputy financial officer not the CFO, an associate general counsel not the
  general counsel, the chair of a committee not the chair.
"""

import re
import sqlite3
from functools import lru_cache

from ..schema import OWNER_ROLES
from .scope import Scope, update_changed

ROLE_PATTERNS = {
    "is_ceo": r"\bco ?ceo\b|\bceo\b|chief executive officer|principal executive officer|\bpeo\b",
    "is_cfo": r"\bcfo\b|chief financial officer|principal financial officer|\bpfo\b|chief finance officer",
    "is_coo": r"\bcoo\b|chief operating officer|chief operations officer",
    "is_president": r"\b(co ?)?president\b",
    "is_chair": r"\b(co ?)?chair(man|woman|person)?\b",
    "is_general_counsel": r"general counsel|chief legal\b|\bclo\b|\bgc\b",
}
ROLE = {role: re.compile(pattern) for role, pattern in ROLE_PATTERNS.items()}

# Words before a role that make it another one, or not the issuer's, or not current.
NOT_THIS_ROLE = re.compile(
    r"\b(vice|vp|deputy|assistant|asst|associate|assoc|group|grp|division|divisional|regional|segment|former|fmr"
    r"|retired|to the|to|emeritus)\s+$")
NOT_CURRENT = re.compile(r"\b(former|fmr|retired|emeritus|until)\b")
COMMITTEE = re.compile(r"\bcommittee\b")
THE_ISSUER = re.compile(r"^\W*(of\s+)?company\b|\bthe (company|issuer|corporation|registrant|board|partnership"
                        r"|trust|fund|general partner)\b")
# Other titles beside a role ("Pres. & Chief Content Officer", "Global Head of M&A").
OTHER_TITLE = re.compile(r"\bchief [a-z' ]{1,30}? officer\b|\bhead of .*")
# Words a title is made of; any other word after a role names where it applies ("CEO of Ford Pro").
TITLE_WORDS = set("""
and of the a an interim acting co director directors board officer officers president chair chairman chairwoman
chairperson vice ceo cfo coo cao cto cio cco cmo cso chro clo cpo cro peo pfo pao gc treasurer secretary
counsel evp svp sevp vp executive exec senior sr principal chief member trustee founder cofounder manager
managing partner controller owner general legal financial finance operating operations accounting
technology information marketing head company issuer corporation global lead independent non nonexecutive
administrative admin human resources people strategy business development commercial medical scientific research
corporate affairs communications investment risk compliance digital product revenue innovation transformation
growth customer chief's hr it also is as well ex officio principal's our its treas sec corp ir""".split())
ABBREVIATIONS = [(re.compile(pattern), full) for pattern, full in (
    (r"\bexec\b\.?", "executive"), (r"\bpres\b\.?", "president"), (r"\bchf\b\.?", "chief"),
    (r"\boper\b\.?", "operating"), (r"\boff\b\.?", "officer"), (r"\bofcr\b\.?", "officer"),
    (r"\bfin\b\.?", "financial"), (r"\bgen\b\.?", "general"), (r"\bsr\b\.?", "senior"),
    (r"\bv\.\s?p\b\.?", "vp"), (r"\bchair\.", "chair"), (r"\bint\b\.?", "international"),
    (r"\binterim(?=chief)", "interim "), (r"\binterm\b", "interim"),
)]
SEE_REMARKS = re.compile(r"\bsee\b.*\bremark|\bremarks?\b", re.IGNORECASE)
SENTENCE_BREAK = re.compile(r"\n|(?<=[a-z]{3})\.\s")
CLAUSE_BREAK = re.compile(r"\s*(?:[,;/()\[\]:]|--|\s-\s|-(?=[a-z]{3,})(?<!co-)(?<!non-)(?<!vice-)|\u2013|\u2014)\s*")


def normalized(text: str) -> str:
    text = re.sub(r"[^\S\n]+", " ", text.lower().replace("&", " and ")).strip()  # lines kept: they end clauses
    for pattern, full in ABBREVIATIONS:
        text = pattern.sub(full, text)
    return re.sub(r"\b(co|vice|non)-", r"\1 ", text)


def clauses(sentence: str) -> list[str]:
    return [clause for clause in CLAUSE_BREAK.split(sentence) if clause]


def qualifies(clause: str) -> bool:
    """Whether a clause after a title only says where it applies ("President, Americas")."""
    return len(clause.split()) <= 5 and names_a_place(clause) and not any(
        pattern.search(clause) for pattern in ROLE.values()) and not re.search(
        r"\b(officer|director|treasurer|secretary|owner)\b", clause)


def names_a_place(words: str) -> bool:
    """Whether words after a role name where it applies (a segment, region, subsidiary, other
    company), rather than more of the title or the issuer itself."""
    if THE_ISSUER.search(words):
        return False
    words = OTHER_TITLE.sub(" ", words)
    return any(word not in TITLE_WORDS and not word.isdigit() for word in re.findall(r"[a-z0-9'%]+", words))


def roles_in(text: str) -> set[str]:
    """The roles a title or a remarks text gives its owner (see the module)."""
    found = set()
    for sentence in SENTENCE_BREAK.split(normalized(text)):
        parts = clauses(sentence)
        for clause, following in zip(parts, parts[1:] + [""]):
            if NOT_CURRENT.search(clause) or COMMITTEE.search(clause) or (following and qualifies(following)):
                continue
            for role, pattern in ROLE.items():
                for match in pattern.finditer(clause):
                    if not NOT_THIS_ROLE.search(clause[:match.start()]) and not names_a_place(clause[match.end():]):
                        found.add(role)
    return found


@lru_cache(maxsize=8192)  # titles repeat across an owner's filings
def owner_roles(title: str | None, other_text: str | None, remarks: str | None) -> str:
    """The roles an owner holds, as a comma-separated list of OWNER_ROLES (empty for none): from
    the title and the other text (a former role there, "Fmr Director, President & CFO", is none),
    and from the remarks when either points there."""
    parts = [part for part in (title, other_text) if part]
    if remarks and any(SEE_REMARKS.search(part) for part in parts):
        parts.append(remarks)
    held = set().union(*(roles_in(part) for part in parts if not NOT_CURRENT.match(normalized(part))))
    return ",".join(role for role in OWNER_ROLES if role in held)


def derive_owner_roles(conn: sqlite3.Connection, scope: Scope) -> None:
    """The role flags of the added filings' owners. (The remarks go with the few titles that point
    there, so that the roles of a title are worked out once; LIMIT -1 keeps SQLite from calling
    owner_roles once for each flag.)"""
    conn.create_function("owner_roles", 3, owner_roles, deterministic=True)
    points_to_remarks = "(o.officer_title LIKE '%remark%' OR o.other_text LIKE '%remark%')"
    remarks = f"""CASE WHEN {points_to_remarks}
        THEN (SELECT f.remarks FROM filings f WHERE f.accession_number = o.accession_number) END"""
    flags = {role: f"instr(',' || t.roles || ',', ',{role},') > 0" for role in OWNER_ROLES}
    update_changed(conn, "filing_owners", flags,
                   f"""(SELECT o.accession_number, o.owner_seq,
                           owner_roles(o.officer_title, o.other_text, {remarks}) AS roles FROM filing_owners o
                        WHERE {scope.added("o.accession_number")} LIMIT -1) t""",
                   scope.added("t.accession_number"), key=("accession_number", "owner_seq"))
