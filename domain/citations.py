"""Our internal references in the reader's words.

The shipped library, norms and rule texts are written with DOMAIN.md's section codes ("B7.2", "Part A",
"DOMAIN A 'Red flags'") and source ids ("S120") so a developer can check them against the reference. A page,
PDF, message or API text shows the literature instead: ``readable`` turns source ids into the short citation
of DOMAIN.md's own reference list (section 14), drops the section codes, keeps the evidence words ("weak",
"unverified", "low quality") and says "clinic default" where DOMAIN.md is silent.
"""

from __future__ import annotations

import re

# DOMAIN.md section 14, the titles as listed there (without their addresses), for the ids the code cites.
CITATIONS: dict[int, str] = {
    1: "ExRx — Shoulder clearing test",
    2: "ExRx — Spinal flexion clearance",
    3: "ExRx — Spinal extension clearance",
    4: "ExRx — Trunk stability push-up",
    5: "TrainerMetrics — FMS shoulder mobility",
    8: "FMS scoring sheet (Scribd)",
    9: "JSCR rugby FMS study (five bilateral tests)",
    10: "Digglicious summary (lower raw score; SEM/MDC) — secondary",
    11: "Kiesel 2007, NAJSPT 2(3):147-158",
    14: "Trinidad-Fernandez 2019, BMJ Open SEM",
    15: "Dorrel 2018, J Athl Train — NCAA DII",
    16: "J Athl Train 2016;51(4):276 — asymmetry / individual scores",
    17: "Warren 2018, OAJSM — FMS current perspectives",
    18: "Cook et al. 2014, IJSPT Part 2",
    20: "Goniometer.io — AAOS normal hip ROM and landmarks",
    23: "CDC Joint ROM Study (Soucie 2011)",
    25: "Kouyoumdjian 2012",
    26: "Passive hip rotation, runners vs non-runners (2003)",
    27: "Ellison 1990, Phys Ther 70:537",
    29: "Krause et al. — inclinometer hip IR reliability",
    30: "Roach 2013, IJSPT — inclinometer vs goniometer",
    32: "Modified Thomas GON vs TRIG reliability",
    33: "JOSPT 2012 LBP CPG, measurement methods",
    34: "Roach 2015, IJSPT — hip ROM in chronic LBP",
    40: "Physio Dublin — true vs apparent",
    41: "WikiSM — LLD test",
    43: "Knutson 2005 Part I",
    44: "Knutson 2005 Part II",
    46: "BMC MSK 2022 — LLI ≥ 2 cm",
    48: "Wikipedia — Heel lifts",
    49: "K. Pearce (podiatry) — heel lift limits",
    60: "Thomas test definition",
    61: "BMC SSMR 2021 — modified Thomas criteria",
    62: "Vigotsky 2016, PeerJ",
    63: "MSK Medicine — FABER",
    65: "Postgraduate Orthopaedics — impingement tests",
    66: "Dr Oracle — FAI exam (BJSM consensus summary)",
    67: "Wikipedia — Ober test",
    68: "Orthofixar — Ober test",
    69: "BMC MSK 2021 — extended SLR",
    70: "Nerve-root tests accuracy summary",
    71: "Pain-provocation SLR systematic review 2012",
    72: "Neurodynamic test sequences",
    74: "FAIR test accuracy",
    75: "Fysiobasen — FAIR",
    76: "MAT Assessment — FAIR / deep gluteal",
    77: "eTG — GTPS diagnosis, Trendelenburg",
    79: "Single-leg squat rating criteria (Hindawi 2012)",
    80: "BMC SSMR 2021 — multisegmental SLS",
    81: "McGovern 2018, IJSPT",
    82: "PhysioHub — Laslett cluster",
    83: "Snyder — SI CPR",
    90: "Mapi Research Trust — ODI",
    91: "Shirley Ryan AbilityLab RehabMeasures — ODI",
    92: "ODI missing-section example",
    93: "awell-health/awell-score — oswestry README",
    94: "Ostelo 2008 consensus (Spine)",
    96: "ODI band descriptions",
    97: "Binkley 1999, Phys Ther — LEFS",
    98: "RehabMeasures — LEFS (mirror)",
    100: "Childs 2005, Spine — NPRS",
    101: "NRS MCID by baseline (Thieme 2020)",
    106: "Physiopedia — HOOS",
    110: "AHCPR red-flag table (NCBI Bookshelf NBK52120)",
    111: "NHS Lothian — serious lumbar conditions",
    112: "BMJ Best Practice — CES diagnosis",
    113: "CSP — National suspected CES pathway (GIRFT)",
    114: "Hey Neurosurgeon — red flags",
    115: "eLearnRad — red flags",
    116: "Dr Oracle — LBP red flags (ACP-derived LRs, secondary)",
    117: "York pathway — CES",
    118: "PhysioRev — red-flag list (AAA, fracture)",
    120: "NICE NG59 recommendations (Devon formulary summary)",
    121: "Sports Health — LBP classification / manipulation CPR appendix",
    122: "Cleland 2006, JOSPT — CPR case series",
    123: "Chiropractic best practices, Table 9 (contraindications)",
    124: "Absolute/relative contraindications table (PMC1116959)",
    125: "Occiflex — manual therapy contraindications",
    126: "WHO 2005 guidelines on basic training and safety in chiropractic",
    127: "ACSM stretching guidelines",
    128: "ACSM 1998 position stand summary",
    129: "Chronic foam rolling review",
    130: "Konrad 2022 foam rolling meta-analysis",
    131: "Mellor 2018, BMJ — LEAP trial",
    132: "Physiopedia — gluteal tendinopathy (compression)",
    133: "Clifford 2019, BMJ Open SEM — isometric vs isotonic GTPS",
    134: "MSSE 2016 — hip abductor weakness in GT",
    135: "McGill Big 3 overview (blog)",
    136: "Stretching and sciatica (low quality)",
    137: "Directional preference in sciatica (low quality)",
    138: "Neural tension vs muscle stretch",
    139: "Dr Oracle — piriformis exam signs",
    140: "Orthofixar — FAIR / deep gluteal syndrome",
    150: "Buist 2008, AJSM (GRONORUN RCT)",
    151: "Nielsen 2014, JOSPT — progression > 30 %",
    153: "Frandsen et al., BJSM (bjsports-2024-109380) — single-session spikes",
    170: "HL7 Belgium Patient Monitoring IG — pain 0–10 value set (LOINC 72514-3)",
    176: "FPnotebook ontology block — SNOMED 299238003",
    178: "Trials 2023, Table 1 — standard return-to-run program",
    180: "Evidence for Exercise — pain-monitoring model advice (secondary)",
    181: "BIM Physio (after T. Goom) — pain-monitoring zones (secondary)",
    183: "Wolff, Washington Orthopaedics — return to running handout (low quality)",
    215: "Medicare Benefit Policy Manual ch. 15 §220.3",
    216: "Medicare Benefit Policy Manual ch. 15 §220.1.3",
    218: "APTA Defensible Documentation, visit/encounter",
    221: "Palmetto GBA, signature timeliness",
    222: "AAPC, contractor views on timely records (secondary)",
    223: "NGS Medicare, amendments, corrections and delayed entries",
    225: "PART criteria text (secondary)",
}

SILENT = "DOMAIN.md is silent: clinic default"
CLINIC_DEFAULT = "clinic default"
# DOMAIN Part A holds the product decisions and the facts from the clinic's own method.
CLINIC_METHOD = "the clinic's method"

_SOURCE_ID = r"S(\d{1,3})"
# One source id, a range ("S110–S113") or a run of them ("S120, S121", "S127/S128", "S131; S133").
_SOURCE_RUN = re.compile(rf"\b{_SOURCE_ID}(?:[–-]{_SOURCE_ID})?\b(?:(?:, |/|; ){_SOURCE_ID}(?:[–-]{_SOURCE_ID})?\b)*")
_ONE_OR_RANGE = re.compile(rf"{_SOURCE_ID}(?:[–-]{_SOURCE_ID})?")

_WORDING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(re.escape(SILENT)), CLINIC_DEFAULT),
    (re.compile(r"\bDOMAIN\.md is silent\b"), CLINIC_DEFAULT),
    (re.compile(r"\bDOMAIN gives\b"), "the clinical reference gives"),
    # "NICE NG59, S120": S120 is the NICE guideline itself.
    (re.compile(r"\bNICE NG59, (?=S120\b)"), ""),
    (re.compile(r"\b(?:DOMAIN )?Part A's\b"), "the clinic's"),
    (re.compile(r"\b(?:DOMAIN )?Part A\b"), CLINIC_METHOD),
    # Part A's topic headings: "DOMAIN A 'Red flags'", "A \"Load management\"", a bare "DOMAIN A".
    (re.compile(r"(?:\bDOMAIN )?\bA (?:'[^']*'|\"[^\"]*\")"), ""),
    (re.compile(r"\bDOMAIN A\b"), ""),
    # Section codes of Part B: "B7.2", "B4", "B6.1, B6.2"; "DOMAIN B conventions" is not for a reader.
    (re.compile(r"(?:\bDOMAIN )?\bB\d+(?:\.\d+)*\b"), ""),
    (re.compile(r"\bDOMAIN\b"), ""),
    # Our issue numbers: "Product default (issue 7)".
    (re.compile(r"\s*\(issues? #?\d+\)|\bissues? #?\d+\b"), ""),
    # Our own decisions, with no published value behind them.
    (re.compile(r"\bProduct (?:decision|default)\b"), CLINIC_DEFAULT),
)

_TIDY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\(\s*[,;:]\s*"), "("),
    (re.compile(r"\s*[,;:]\s*\)"), ")"),
    (re.compile(r"\s*\(\s*\)"), ""),
    (re.compile(r"\s*[,;](?:\s*[,;])+"), ";"),
    (re.compile(r"\s+([,;.)])"), r"\1"),
    (re.compile(r"\.\s*\)\."), ")."),
    (re.compile(r"\.\."), "."),
    (re.compile(r"[ \t]{2,}"), " "),
    # A citation whose title already says "(low quality)" or "secondary" next to the text's own evidence words.
    (re.compile(r"\b(low quality|secondary)(\)?)[,;]? \1\b"), r"\1\2"),
)
# A bracket left with nothing before it in its clause: "(NICE NG59 ...); the clinic's method (...)".
_LEADING_BRACKET = re.compile(r"(^|; )\(((?:[^()]|\([^()]*\))*)\)(?=;|$)")


def citation(source_id: int) -> str:
    """The short citation of a DOMAIN.md source id; KeyError for an id this module does not list."""
    return CITATIONS[source_id]


def _cite_run(match: re.Match[str]) -> str:
    cited: list[str] = []
    for part in _ONE_OR_RANGE.finditer(match.group(0)):
        first = int(part.group(1))
        last = int(part.group(2)) if part.group(2) else first
        for number in range(first, max(first, last) + 1):
            if number not in CITATIONS:
                return match.group(0)
            if CITATIONS[number] not in cited:
                cited.append(CITATIONS[number])
    return "; ".join(cited)


def readable(text: str) -> str:
    """``text`` with our internal references in the reader's words (see the module docstring).

    Source ids the table does not list are left as they are (the tests walk every shipped text, so a new one
    is caught there). Text without internal references comes back unchanged.
    """
    if not text:
        return text
    result = text
    for pattern, replacement in _WORDING:
        result = pattern.sub(replacement, result)
    result = _SOURCE_RUN.sub(_cite_run, result)
    if result == text:
        return text
    for _ in range(2):
        result = result.strip()
        for pattern, replacement in _TIDY:
            result = pattern.sub(replacement, result)
        result = _LEADING_BRACKET.sub(r"\1\2", result)
    result = result.strip().lstrip(",;:").strip()
    result = re.sub(r"^[;,]\s*|\s*[;,]$", "", result)
    if not result:
        return CLINIC_DEFAULT  # the text cited only our own reference: a clinic decision
    starts_a_sentence = text[:1].isupper() and not any(result.startswith(title) for title in CITATIONS.values())
    return result[:1].upper() + result[1:] if starts_a_sentence else result
