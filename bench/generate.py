"""Synthetic ownership filings at scale, for benchmarks: seeded, deterministic, plainly fake.

Every issuer is "SYNTHETIC ISSUER nnnnn INC" and every owner "SYNTHETIC OWNER nnnnnn"; CIKs start
with 98 and accession numbers with 0098 (no real filer has those), so nobody can mistake the
output for real data. The shapes follow the real corpus roughly: mostly Forms 4 with a few rows,
some Forms 3, 5 and amendments; codes S, A, F, M, P, G…; joint filings; footnotes with
weighted-average price ranges, 10b5-1 plans and indirect ownership; issuers with a repeat cast
of insiders trading over the years.

    python bench/generate.py OUT_FOLDER --filings 1000000 --seed 1
    python bench/generate.py DAY_FOLDER --filings 2000 --population-of 1000000 --on 2026-01-02

The second writes a day's filings for the first's issuers and insiders (the same seed gives the
same population): trades of the few days before --on, as a day of real filings reports them.
With --full-submissions each filing is an EDGAR full submission (.txt) around the same XML, with
the filing date and acceptance time a bare XML file lacks — what the screens that list the newest
filings, or a week's, need to find at scale.
"""

import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import click

FIRST_DAY, LAST_DAY = date(2004, 1, 1), date(2025, 12, 31)
CODES = ["S"] * 30 + ["A"] * 15 + ["F"] * 14 + ["M"] * 12 + ["P"] * 7 + ["G"] * 5 + ["D"] * 3 + \
        ["J"] * 3 + ["C"] * 2 + ["X"] * 2 + ["W", "I", "L", "U", "Z"]
DISPOSING = {"S", "F", "G", "D", "U"}
TITLES = ["Chief Executive Officer", "Chief Financial Officer", "General Counsel", "EVP, Operations",
          "Chief Technology Officer", "SVP, Sales", None, None]


class Population:
    """Issuers, each with a cast of insiders and a price that drifts over the years."""

    def __init__(self, rng: random.Random, issuers: int):
        self.rng = rng
        self.issuers = []
        owner_number = 0
        for number in range(1, issuers + 1):
            insiders = []
            for _ in range(rng.randint(3, 15)):
                owner_number += 1
                role = rng.choices(["officer", "director", "ten_percent"], [5, 4, 1])[0]
                insiders.append((9800000000 + owner_number, f"SYNTHETIC OWNER {owner_number:06d}", role,
                                 rng.choice(TITLES) if role == "officer" else None))
            self.issuers.append({
                "cik": 9810000000 + number,
                "name": f"SYNTHETIC ISSUER {number:05d} INC",
                "ticker": f"SY{number:05d}"[:7],
                "price": rng.lognormvariate(3.3, 1.0),
                "insiders": insiders,
            })
        # A few issuers get most of the filings, as in real life.
        self.weights = [1 / (rank ** 0.8) for rank in range(1, issuers + 1)]

    def pick(self):
        return self.rng.choices(self.issuers, self.weights)[0]


def day_between(rng: random.Random, on: date | None = None) -> date:
    if on is not None:  # a day's filings report the trades of the days just before
        return on - timedelta(days=rng.randint(2, 6))
    span = (LAST_DAY - FIRST_DAY).days
    return FIRST_DAY + timedelta(days=int(span * rng.random() ** 0.6))  # more recent filings than old ones


def schema_version(day: date) -> str:
    return "X0508" if day >= date(2023, 4, 1) else "X0306" if day >= date(2010, 6, 1) else "X0203"


def refs(footnotes) -> str:
    return "".join(f'<footnoteId id="{footnote}"/>' for footnote in footnotes)


def value(tag: str, text, footnotes=()) -> str:
    inner = "" if text is None else f"<value>{text}</value>"
    return f"<{tag}>{inner}{refs(footnotes)}</{tag}>"


def owner_xml(owner) -> str:
    cik, name, role, title = owner
    flags = {"officer": "isOfficer", "director": "isDirector", "ten_percent": "isTenPercentOwner"}
    relationship = f"<{flags[role]}>1</{flags[role]}>" + (f"<officerTitle>{title}</officerTitle>" if title else "")
    return (f"<reportingOwner><reportingOwnerId><rptOwnerCik>{cik:010d}</rptOwnerCik><rptOwnerName>{name}"
            f"</rptOwnerName></reportingOwnerId><reportingOwnerAddress><rptOwnerStreet1>1 SYNTHETIC WAY"
            f"</rptOwnerStreet1><rptOwnerCity>NOWHERE</rptOwnerCity><rptOwnerState>DE</rptOwnerState>"
            f"<rptOwnerZipCode>19801</rptOwnerZipCode></reportingOwnerAddress><reportingOwnerRelationship>"
            f"{relationship}</reportingOwnerRelationship></reportingOwner>")


class FilingWriter:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def transaction(self, issuer, day: date, footnotes: list) -> str:
        rng = self.rng
        code = rng.choice(CODES)
        disposed = code in DISPOSING
        shares = max(1, int(rng.lognormvariate(7.5, 1.6)))
        price = 0 if code in ("A", "G", "W") else round(issuer["price"] * rng.uniform(0.9, 1.1), 4)
        price_refs, code_refs = [], []
        if code in ("S", "P") and rng.random() < 0.6:
            footnotes.append(f"The price reported is a weighted average price. These shares were traded in multiple "
                             f"transactions at prices ranging from ${price * 0.99:.2f} to ${price * 1.01:.2f}, inclusive.")
            price_refs.append(f"F{len(footnotes)}")
        if code == "S" and rng.random() < 0.4:
            adopted = day - timedelta(days=rng.randint(90, 500))
            footnotes.append(f"The sales reported were effected pursuant to a Rule 10b5-1 trading plan adopted by the "
                             f"reporting person on {adopted:%B} {adopted.day}, {adopted.year}.")
            code_refs.append(f"F{len(footnotes)}")
        indirect = rng.random() < 0.15
        return ("<nonDerivativeTransaction>" + value("securityTitle", "Common Stock")
                + value("transactionDate", day.isoformat())
                + f"<transactionCoding><transactionFormType>4</transactionFormType><transactionCode>{code}"
                  f"</transactionCode><equitySwapInvolved>0</equitySwapInvolved>"
                  f"{refs(code_refs)}</transactionCoding>"
                + "<transactionAmounts>" + value("transactionShares", shares)
                + value("transactionPricePerShare", price, price_refs)
                + value("transactionAcquiredDisposedCode", "D" if disposed else "A") + "</transactionAmounts>"
                + "<postTransactionAmounts>" + value("sharesOwnedFollowingTransaction", shares * rng.randint(1, 20))
                + "</postTransactionAmounts><ownershipNature>"
                + value("directOrIndirectOwnership", "I" if indirect else "D")
                + (value("natureOfOwnership", "By Trust") if indirect else "")
                + "</ownershipNature></nonDerivativeTransaction>")

    def option(self, issuer, day: date) -> str:
        rng = self.rng
        shares = max(1, int(rng.lognormvariate(8, 1.2)))
        exercise = round(issuer["price"] * rng.uniform(0.3, 1.0), 2)
        code = rng.choice(["A", "M", "M", "A", "X"])
        return ("<derivativeTransaction>" + value("securityTitle", "Stock Option (right to buy)")
                + value("conversionOrExercisePrice", exercise) + value("transactionDate", day.isoformat())
                + f"<transactionCoding><transactionFormType>4</transactionFormType><transactionCode>{code}"
                  f"</transactionCode><equitySwapInvolved>0</equitySwapInvolved></transactionCoding>"
                + "<transactionAmounts>" + value("transactionShares", shares) + value("transactionPricePerShare", 0)
                + value("transactionAcquiredDisposedCode", "A" if code == "A" else "D") + "</transactionAmounts>"
                + value("exerciseDate", (day + timedelta(days=365)).isoformat())
                + value("expirationDate", (day + timedelta(days=3650)).isoformat())
                + "<underlyingSecurity>" + value("underlyingSecurityTitle", "Common Stock")
                + value("underlyingSecurityShares", shares) + "</underlyingSecurity>"
                + "<postTransactionAmounts>" + value("sharesOwnedFollowingTransaction", shares * rng.randint(1, 5))
                + "</postTransactionAmounts><ownershipNature>" + value("directOrIndirectOwnership", "D")
                + "</ownershipNature></derivativeTransaction>")

    def holding(self, shares: int) -> str:
        return ("<nonDerivativeHolding>" + value("securityTitle", "Common Stock") + "<postTransactionAmounts>"
                + value("sharesOwnedFollowingTransaction", shares) + "</postTransactionAmounts><ownershipNature>"
                + value("directOrIndirectOwnership", "D") + "</ownershipNature></nonDerivativeHolding>")

    def filing(self, issuer, owners, form: str, day: date, original: date | None) -> str:
        rng = self.rng
        footnotes, table1, table2 = [], [], []
        if form.startswith("3"):
            table1 = [self.holding(max(1, int(rng.lognormvariate(9, 2)))) for _ in range(rng.randint(0, 3))]
        else:
            table1 = [self.transaction(issuer, day + timedelta(days=rng.randint(0, 2)), footnotes)
                      for _ in range(min(30, int(rng.expovariate(1 / 3.5)) + 1))]
            if rng.random() < 0.3:
                table2 = [self.option(issuer, day) for _ in range(rng.randint(1, 3))]
        version = schema_version(day)
        header = (f'<?xml version="1.0"?><ownershipDocument><schemaVersion>{version}</schemaVersion>'
                  f"<documentType>{form}</documentType><periodOfReport>{day.isoformat()}</periodOfReport>"
                  + (f"<dateOfOriginalSubmission>{original.isoformat()}</dateOfOriginalSubmission>" if original else "")
                  + ("<noSecuritiesOwned>" + ("0" if table1 else "1") + "</noSecuritiesOwned>" if form.startswith("3") else "")
                  + f"<issuer><issuerCik>{issuer['cik']:010d}</issuerCik><issuerName>{issuer['name']}</issuerName>"
                  f"<issuerTradingSymbol>{issuer['ticker']}</issuerTradingSymbol></issuer>"
                  + "".join(owner_xml(owner) for owner in owners)
                  + (f"<aff10b5One>{int(any('10b5-1' in f for f in footnotes))}</aff10b5One>"
                     if version == "X0508" and not form.startswith("3") else ""))
        tables = ("<nonDerivativeTable>" + "".join(table1) + "</nonDerivativeTable>" if table1 else "") + \
                 ("<derivativeTable>" + "".join(table2) + "</derivativeTable>" if table2 else "")
        notes = ("<footnotes>" + "".join(f'<footnote id="F{n}">{text}</footnote>'
                                          for n, text in enumerate(footnotes, start=1)) + "</footnotes>") if footnotes else ""
        signature = (f"<ownerSignature><signatureName>/s/ Synthetic Agent, Attorney-in-Fact</signatureName>"
                     f"<signatureDate>{(day + timedelta(days=2)).isoformat()}</signatureDate></ownerSignature>")
        return header + tables + notes + signature + "</ownershipDocument>"


def notice_xml(issuer, owner, day: date, units: int, price: float, previous: str | None = None) -> str:
    """A Form 144 (144/A when it names the notice it amends) valid against eis_Form_144_Ownership.xsd:
    the insider intends to sell ``units`` through a synthetic broker around ``day``."""
    us = f"{day:%m/%d/%Y}"
    address = ("<com:street1>1 Synthetic Way</com:street1><com:city>Nowhere</com:city>"
               "<com:stateOrCountry>CA</com:stateOrCountry><com:zipCode>99999</com:zipCode>")
    plan = f"<planAdoptionDates><planAdoptionDate>{day - timedelta(days=120):%m/%d/%Y}</planAdoptionDate></planAdoptionDates>"
    return (f'<?xml version="1.0" encoding="UTF-8"?><edgarSubmission xmlns="http://www.sec.gov/edgar/ownership" '
            f'xmlns:com="http://www.sec.gov/edgar/common"><headerData><submissionType>{"144/A" if previous else "144"}'
            f"</submissionType>" + (f"<previousAccessionNumber>{previous}</previousAccessionNumber>" if previous else "")
            + f"<filerInfo><filer><filerCredentials><cik>{owner[0]:010d}</cik><ccc>XXXXXXXX</ccc></filerCredentials>"
            f"</filer><liveTestFlag>LIVE</liveTestFlag><contact><contactName>Synthetic Agent</contactName>"
            f"<contactPhoneNumber>555-0100</contactPhoneNumber><contactEmailAddress>agent@example.com</contactEmailAddress>"
            f"</contact><flags><overrideInternetFlag>false</overrideInternetFlag></flags></filerInfo></headerData>"
            f"<formData><issuerInfo><issuerCik>{issuer['cik']:010d}</issuerCik><issuerName>{issuer['name']}</issuerName>"
            f"<issuerAddress>{address}</issuerAddress><issuerContactPhone>555-0101</issuerContactPhone>"
            f"<nameOfPersonForWhoseAccountTheSecuritiesAreToBeSold>{owner[1]}</nameOfPersonForWhoseAccountTheSecuritiesAreToBeSold>"
            f"<relationshipsToIssuer><relationshipToIssuer>{'Officer' if owner[2] == 'officer' else 'Director'}"
            f"</relationshipToIssuer></relationshipsToIssuer></issuerInfo>"
            f"<securitiesInformation><securitiesClassTitle>Common</securitiesClassTitle><brokerOrMarketmakerDetails>"
            f"<name>Synthetic Securities LLC</name><address>{address}</address></brokerOrMarketmakerDetails>"
            f"<noOfUnitsSold>{units}</noOfUnitsSold><aggregateMarketValue>{units * price:.2f}</aggregateMarketValue>"
            f"<noOfUnitsOutstanding>100000000</noOfUnitsOutstanding><approxSaleDate>{us}</approxSaleDate>"
            f"<securitiesExchangeName>NASDAQ</securitiesExchangeName></securitiesInformation>"
            f"<securitiesToBeSold><securitiesClassTitle>Common</securitiesClassTitle><acquiredDate>{us}</acquiredDate>"
            f"<natureOfAcquisitionTransaction>Restricted Stock Units vesting</natureOfAcquisitionTransaction>"
            f"<nameOfPersonfromWhomAcquired>Issuer</nameOfPersonfromWhomAcquired><isGiftTransaction>N</isGiftTransaction>"
            f"<amountOfSecuritiesAcquired>{units}</amountOfSecuritiesAcquired><paymentDate>{us}</paymentDate>"
            f"<natureOfPayment>Compensation</natureOfPayment></securitiesToBeSold>"
            f"<nothingToReportFlagOnSecuritiesSoldInPast3Months>Y</nothingToReportFlagOnSecuritiesSoldInPast3Months>"
            f"<noticeSignature><noticeDate>{us}</noticeDate>{plan}<signature>/s/ {owner[1]}</signature>"
            f"</noticeSignature></formData></edgarSubmission>")


def full_submission(xml: str, accession: str, form: str, day: date) -> str:
    """The XML as EDGAR disseminates it: filed one to four days after the period (two mostly; a
    weekend's on the Monday),
    accepted between 6 a.m. and 10 p.m. Eastern; seeded by the accession, so the XML's own random
    stream is the same with or without it."""
    rng = random.Random(accession)
    filed = day + timedelta(days=rng.choices([1, 2, 3, 4], [3, 10, 2, 1])[0])
    filed += timedelta(days=max(0, 7 - filed.weekday()) if filed.weekday() >= 5 else 0)  # Monday, not a weekend
    accepted = datetime.combine(filed, datetime.min.time()) + timedelta(seconds=rng.randint(6 * 3600, 22 * 3600))
    return (f"<SEC-DOCUMENT>{accession}.txt : {filed:%Y%m%d}\n<SEC-HEADER>{accession}.hdr.sgml : {filed:%Y%m%d}\n"
            f"<ACCEPTANCE-DATETIME>{accepted:%Y%m%d%H%M%S}\nACCESSION NUMBER:\t\t{accession}\n"
            f"CONFORMED SUBMISSION TYPE:\t{form}\nPUBLIC DOCUMENT COUNT:\t\t1\n"
            f"CONFORMED PERIOD OF REPORT:\t{day:%Y%m%d}\nFILED AS OF DATE:\t\t{filed:%Y%m%d}\n</SEC-HEADER>\n"
            f"<DOCUMENT>\n<TYPE>{form}\n<SEQUENCE>1\n<FILENAME>form4.xml\n<TEXT>\n<XML>\n{xml}\n</XML>\n</TEXT>\n"
            f"</DOCUMENT>\n</SEC-DOCUMENT>\n")


def generate(folder: Path, filings: int, seed: int, population_of: int | None = None,
             on: date | None = None, full_submissions: bool = False, notice_share: float = 0.0) -> None:
    rng = random.Random(seed)
    population = Population(rng, max(100, (population_of or filings) // 200))
    if on is not None:  # the same population, other filings: accession numbers after the main set's
        rng.seed(f"{seed} {on}")
    writer = FilingWriter(rng)
    notice_rng = random.Random(f"{seed} {on} notices")  # its own stream: the filings are the same with or without
    folder.mkdir(parents=True, exist_ok=True)
    recent = []  # (issuer, owners, day) of recent Forms 4, for amendments to amend
    for number in range(filings):
        sub = folder / f"{number // 10000:04d}"  # 10,000 files a folder
        if number % 10000 == 0:
            sub.mkdir(exist_ok=True)
        form = rng.choices(["4", "3", "5", "4/A"], [88, 5, 3, 4])[0]
        if form == "4/A" and recent:
            issuer, owners, original_day = rng.choice(recent)
            day, original = original_day, original_day + timedelta(days=rng.randint(1, 2))
        else:
            form = "4" if form == "4/A" else form
            issuer = population.pick()
            owners = rng.sample(issuer["insiders"], 1 if rng.random() < 0.95 else min(3, len(issuer["insiders"])))
            day, original = day_between(rng, on), None
            if form == "4":
                recent.append((issuer, owners, day))
                recent = recent[-1000:]
        serial = number + (population_of or 0) if on is not None else number
        accession = f"00{98000000 + serial // 1000000:08d}-{day.year % 100:02d}-{serial % 1000000:06d}"
        xml = writer.filing(issuer, owners, form, day, original)
        if full_submissions:
            (sub / f"{accession}.txt").write_text(full_submission(xml, accession, form, day))
        else:
            (sub / f"{accession}.xml").write_text(xml)
        if form == "4" and notice_share and notice_rng.random() < notice_share:
            write_notice(folder, serial, issuer, owners[0], day, xml, full_submissions)


def write_notice(folder: Path, serial: int, issuer, owner, day: date, form4: str, full_submissions: bool) -> None:
    """The Form 144 that announced a Form 4's sales, filed on the day of its trades: the shares it
    sells and then some (a notice names an upper bound); a notice with none stays open."""
    sold = sum(int(float(shares)) for shares in re.findall(
        r"<transactionCode>S</transactionCode>.*?<transactionShares><value>([\d.]+)</value>", form4))
    price = float(re.search(r"<transactionPricePerShare><value>([\d.]+)", form4)[1]) if sold else 10.0
    accession = f"00989{serial // 1000000:05d}-{day.year % 100:02d}-{serial % 1000000:06d}"
    xml = notice_xml(issuer, owner, day, max(100, sold + sold // 10), price)
    notices = folder / "notices" / f"{serial // 10000:04d}"
    notices.mkdir(parents=True, exist_ok=True)
    if full_submissions:
        (notices / f"{accession}.txt").write_text(full_submission(xml, accession, "144", day))
    else:
        (notices / f"{accession}.xml").write_text(xml)


@click.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--filings", default=100_000, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--population-of", type=int, help="Issuers and insiders of a set of this many filings.")
@click.option("--on", type=click.DateTime(["%Y-%m-%d"]), help="A day's filings: trades of the days before this one.")
@click.option("--full-submissions", is_flag=True, help="Write EDGAR full submissions (.txt), with filing dates.")
@click.option("--notices", "notice_share", default=0.0, show_default=True,
              help="Also a Form 144 notice (in FOLDER/notices) for this share of the Forms 4, on the day of their trades.")
def main(folder, filings, seed, population_of, on, full_submissions, notice_share):
    """Write FILINGS synthetic ownership XML files under FOLDER (10,000 per subfolder)."""
    generate(Path(folder), filings, seed, population_of, on.date() if on else None, full_submissions, notice_share)


if __name__ == "__main__":
    main()
