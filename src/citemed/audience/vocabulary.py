"""Lay vocabulary: technical term -> plain words.

Two sources, merged: pairs mined from the library's consumer pages, where writers gloss a term in
brackets ("arthralgia (joint pain)"), and a small curated list that fills gaps and wins on
conflicts. Mined pairs are cached per library version beside the indexes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from citemed.model import Kind, Rule


@dataclass(frozen=True)
class LayWords:
    """A named group of technical terms and their plain words, with an example sentence and
    the plain wording the patient view must give it (tests read the table)."""

    name: str
    words: dict[str, str]
    example: str
    plain: str


# The curated list. A plain word must fit every position its term takes ("symptomatic relapse"
# has none, so "symptomatic" is not here).
LAY_WORDS: tuple[LayWords, ...] = (
    # Symptoms a consumer page names in everyday words.
    LayWords("symptoms", {
        "arthralgia": "joint pain", "myalgia": "muscle pain", "cephalalgia": "headache",
        "dyspnea": "shortness of breath", "dyspnoea": "shortness of breath",
        "tachycardia": "fast heartbeat", "bradycardia": "slow heartbeat", "pyrexia": "fever",
        "emesis": "vomiting", "pruritus": "itching", "edema": "swelling", "oedema": "swelling",
        "erythema": "redness", "syncope": "fainting", "vertigo": "dizziness",
        "dysphagia": "trouble swallowing", "dyspepsia": "indigestion",
        "insomnia": "trouble sleeping", "fatigue": "tiredness", "malaise": "feeling unwell",
        "paresthesia": "tingling", "paraesthesia": "tingling", "alopecia": "hair loss",
        "xerostomia": "dry mouth",
    }, "Arthralgia, pruritus and fatigue were common.",
             "Joint pain, itching and tiredness were common."),
    # Conditions; general glosses ('fibrosis': scarring) beat organ-specific ones mined from single
    # pages ('lung scarring').
    LayWords("conditions", {
        "hypertension": "high blood pressure", "hypotension": "low blood pressure",
        "hyperglycemia": "high blood sugar", "hypoglycemia": "low blood sugar",
        "hyperglycaemia": "high blood sugar", "hypoglycaemia": "low blood sugar",
        "hyperlipidemia": "high cholesterol", "dyslipidemia": "unhealthy cholesterol levels",
        "nephrolithiasis": "kidney stones", "cholelithiasis": "gallstones",
        "myocardial infarction": "heart attack", "cerebrovascular accident": "stroke",
        "cerebral infarction": "stroke", "osteoporosis": "thinning bones",
        "osteoarthritis": "wear-and-tear arthritis",
        "atherosclerosis": "hardening of the arteries", "hemorrhage": "bleeding",
        "haemorrhage": "bleeding", "thrombosis": "blood clot", "embolism": "blockage by a clot",
        "anemia": "low red blood cells", "anaemia": "low red blood cells",
        "dermatitis": "skin inflammation", "gastroenteritis": "stomach bug",
        "rhinitis": "runny nose", "otitis media": "middle ear infection",
        "pharyngitis": "sore throat", "cognitive impairment": "memory and thinking problems",
        "inflammation": "swelling and irritation", "lesion": "damaged area",
        "lesions": "damaged areas", "dysfunction": "problems", "fibrosis": "scarring",
        "stenosis": "narrowing", "cardiomyopathy": "heart muscle disease",
    }, "Hypertension raises the risk of myocardial infarction.",
             "High blood pressure raises the risk of heart attack."),
    # Organ adjectives.
    LayWords("body parts", {
        "renal": "kidney", "hepatic": "liver", "cardiac": "heart", "pulmonary": "lung",
        "gastric": "stomach", "cutaneous": "skin", "ocular": "eye",
        "cardiovascular": "heart and blood vessel", "gastrointestinal": "gut",
        "abdominal": "belly",
    }, "Renal and hepatic function were normal.",
             "Kidney and liver function were normal."),
    # Cancer words.
    LayWords("tumours", {
        "neoplasm": "tumour", "malignant": "cancerous", "benign": "not cancerous",
        "carcinoma": "cancer", "metastasis": "cancer spread", "metastases": "cancer spread",
    }, "The neoplasm was benign.",
             "The tumour was not cancerous."),
    # Who is meant: ages, life stages, study participants and carers.
    LayWords("people", {
        "pediatric": "children's", "paediatric": "children's", "geriatric": "older people's",
        "postmenopausal": "after menopause", "premenopausal": "before menopause",
        "gestational": "pregnancy-related", "neonates": "newborns", "neonatal": "newborn",
        "adolescents": "teenagers", "elderly": "older", "elderly patients": "older people",
        "the elderly": "older people", "individuals": "people",
        "participants": "people in the study", "subjects": "people", "physician": "doctor",
        "physicians": "doctors",
    }, "Physicians saw adolescents and elderly patients.",
             "Doctors saw teenagers and older people."),
    # Treatments, procedures and care.
    LayWords("treatments", {
        "intravenous": "into a vein", "subcutaneous": "under the skin", "analgesic": "painkiller",
        "analgesics": "painkillers", "antipyretic": "fever reducer", "prophylaxis": "prevention",
        "prophylactic": "preventive", "pharmacological": "medicine-based",
        "pharmacotherapy": "medicine treatment", "nonpharmacological": "non-drug",
        "non-pharmacological": "non-drug", "therapeutic": "treatment", "therapy": "treatment",
        "therapies": "treatments", "medication": "medicine", "medications": "medicines",
        "intervention": "treatment", "interventions": "treatments",
        "radiotherapy": "radiation treatment", "laparoscopic": "keyhole",
        "cholecystectomy": "gallbladder removal", "gastrectomy": "stomach removal",
        "cystectomy": "bladder removal", "thrombolysis": "clot-busting", "administration": "use",
        "administered": "given", "hospitalization": "hospital stay",
        "hospitalisation": "hospital stay", "management": "care",
        "smoking cessation": "quitting smoking", "cessation": "stopping",
        "discontinuation": "stopping", "discontinued": "stopped",
        "adherence": "sticking with treatment", "examination": "exam", "examinations": "exams",
    }, "Analgesics were administered after laparoscopic cholecystectomy.",
             "Painkillers were given after keyhole gallbladder removal."),
    # How a disease starts, runs and harms.
    LayWords("disease course", {
        "adverse events": "side effects", "adverse effects": "side effects",
        "contraindicated": "not advised", "comorbidity": "other illness",
        "comorbidities": "other illnesses", "incidence": "number of new cases",
        "mortality": "death rate", "morbidity": "illness", "etiology": "cause",
        "aetiology": "cause", "idiopathic": "of unknown cause", "acute": "sudden",
        "chronic": "long-term", "asymptomatic": "symptom-free", "complications": "problems",
        "postoperative complications": "problems after surgery",
    }, "Mortality was higher with chronic comorbidities.",
             "Death rate was higher with long-term other illnesses."),
    # How studies describe themselves and their measures.
    LayWords("study words", {
        "randomized controlled trial": "fair test comparing treatments",
        "placebo": "dummy treatment", "cohort": "group", "randomized": "randomly assigned",
        "randomised": "randomly assigned",
        "statistically significant": "unlikely to be due to chance", "efficacy": "benefit",
        "efficacious": "effective", "association": "link", "associations": "links",
        "correlation": "link", "correlations": "links", "relationship": "link",
        "associated with": "linked to", "hypothesis": "idea", "parameters": "measures",
        "characteristics": "features", "indicator": "sign", "indicators": "signs",
        "concentration": "level", "concentrations": "levels", "modality": "method",
        "modalities": "methods", "evaluation": "check", "evaluations": "checks",
        "investigation": "study", "investigations": "tests", "disparities": "gaps",
        "radiographic": "X-ray", "socioeconomic": "income and social",
        "socio-economic": "income and social", "duration": "length",
    }, "The cohort received placebo for the same duration.",
             "The group received dummy treatment for the same length."),
    # Academic wording that lifts the grade without carrying meaning a lay reader needs; passive
    # forms take the participle ('was demonstrated' -> 'was shown', not 'was showed').
    LayWords("academic verbs", {
        "demonstrated": "showed", "demonstrate": "show", "demonstrates": "shows",
        "was demonstrated": "was shown", "were demonstrated": "were shown",
        "been demonstrated": "been shown", "be demonstrated": "be shown",
        "is demonstrated": "is shown", "are demonstrated": "are shown", "investigate": "study",
        "investigated": "studied", "evaluate": "check", "evaluated": "checked", "assess": "check",
        "assessed": "checked", "revealed": "showed", "reveal": "show", "reveals": "shows",
        "identify": "find", "identified": "found", "identifying": "finding",
        "determine": "find out", "determining": "finding out", "utilize": "use",
        "utilization": "use", "utilized": "used", "utilised": "used", "facilitate": "help",
        "facilitates": "helps", "enhanced": "improved", "enhance": "improve",
        "initiated": "started", "initiation": "start", "ameliorate": "improve",
        "undergoing": "having", "recommended": "advised",
    }, "Exercise was demonstrated to enhance sleep.",
             "Exercise was shown to improve sleep."),
    # Connectives and qualifiers whose plain form reads the same in any position ('additional' ->
    # 'extra', not 'more': 'an more').
    LayWords("plain qualifiers", {
        "approximately": "about", "subsequently": "later", "subsequent": "later",
        "additionally": "also", "numerous": "many", "sufficient": "enough", "prior to": "before",
        "in order to": "to", "elevated": "raised", "diminished": "lowered",
        "appropriate": "suitable", "appropriately": "properly", "previously": "earlier",
        "comparable": "similar", "additional": "extra", "potentially": "possibly",
        "predominantly": "mainly", "primarily": "mainly", "beneficial": "helpful",
        "adequately": "well enough", "inadequate": "not enough", "relatively": "fairly",
        "mobility": "movement", "frequently": "often", "regarding": "about",
        "equivalent": "equal", "optimal": "best", "substantially": "greatly",
        "considerably": "greatly", "nevertheless": "still", "furthermore": "also",
        "principal": "main", "feasible": "possible", "moreover": "also", "consequently": "so",
        "necessary": "needed", "unnecessary": "not needed",
    }, "Levels were elevated in numerous patients prior to surgery.",
             "Levels were raised in many patients before surgery."),
)
CURATED: dict[str, str] = {term: plain for group in LAY_WORDS for term, plain in group.words.items()}

# Names of conditions that contain a term above but must be kept whole ("cystic fibrosis" is not
# "cystic scarring"). They map to themselves; longest-match-first makes them win.
KEEP_WHOLE = [
    "cystic fibrosis", "pulmonary fibrosis", "multiple sclerosis", "systemic sclerosis",
    "amyotrophic lateral sclerosis", "tuberous sclerosis", "spinal stenosis", "aortic stenosis",
    "pyloric stenosis", "chronic obstructive pulmonary disease", "acute myeloid leukemia",
    "acute lymphoblastic leukemia", "chronic lymphocytic leukemia", "chronic myeloid leukemia",
    "benign prostatic hyperplasia", "renal cell carcinoma", "hepatocellular carcinoma",
]



def _suffix(suffix: str, example: str) -> Rule:
    """A technical word by its ending; `example` must be one."""
    return Rule(f"-{suffix}", re.compile(rf"^[a-z]+{suffix}$"), example)


# A single technical word: Greek/Latin medical suffixes are what consumer writers gloss.
TECHNICAL_SUFFIXES: tuple[Rule, ...] = (
    _suffix("algia", "arthralgia"), _suffix("itis", "arthritis"), _suffix("emia", "anemia"),
    _suffix("aemia", "anaemia"), _suffix("osis", "fibrosis"), _suffix("ectomy", "gastrectomy"),
    _suffix("otomy", "tracheotomy"), _suffix("ostomy", "colostomy"),
    _suffix("opathy", "neuropathy"), _suffix("plasia", "dysplasia"), _suffix("oma", "melanoma"),
    _suffix("uria", "hematuria"), _suffix("pnea", "dyspnea"), _suffix("pnoea", "dyspnoea"),
    _suffix("cardia", "tachycardia"), _suffix("rrhea", "diarrhea"), _suffix("rrhoea", "diarrhoea"),
    _suffix("rrhage", "hemorrhage"), _suffix("megaly", "splenomegaly"),
    _suffix("plegia", "hemiplegia"), _suffix("paresis", "hemiparesis"),
    _suffix("trophy", "atrophy"), _suffix("lepsy", "epilepsy"), _suffix("phobia", "photophobia"),
    _suffix("scopy", "endoscopy"), _suffix("penia", "neutropenia"),
    _suffix("cytosis", "leukocytosis"), _suffix("lithiasis", "nephrolithiasis"),
    _suffix("esthesia", "paresthesia"), _suffix("aesthesia", "paraesthesia"),
    _suffix("kinesia", "dyskinesia"), _suffix("phagia", "dysphagia"), _suffix("phasia", "aphasia"),
    _suffix("ptysis", "hemoptysis"), _suffix("stasis", "hemostasis"),
)
_TECHNICAL = re.compile(
    r"^[a-z]+(?:" + "|".join(rule.name.removeprefix("-") for rule in TECHNICAL_SUFFIXES) + r")$")
# "arthralgia (joint pain)": a technical word, then a lower-case gloss in brackets. Not the
# reverse order ("joint pain (arthralgia)"): where the lay phrase starts cannot be told without
# a parser, and a cut-off gloss changes meaning ("slow heart rate" -> "heart rate").
_GLOSS = re.compile(r"\b([A-Za-z][a-z-]+) \(([a-z][a-z' -]{2,40})\)")
# Brackets that qualify or alias rather than explain: "(with ...)", "(also called ...)".
_NOT_A_GLOSS = re.compile(
    r"^(?:with|without|or|and|usually|also|sometimes|previously|formerly|called|see|similar|"
    r"when|where|which|present|rare|common|especially|including|such|e\.g|i\.e)\b")
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the)\s+")


def _is_gloss(phrase: str) -> bool:
    words = phrase.split()
    return (1 <= len(words) <= 8 and not _NOT_A_GLOSS.match(phrase) and phrase.count("-") <= 1
            and not any(_TECHNICAL.match(w) for w in words))


def mine_pairs(texts: Iterable[str]) -> Counter[tuple[str, str]]:
    """Count (technical term, gloss) pairs written as "term (gloss)" in consumer text."""
    found: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for term, gloss in _GLOSS.findall(text):
            term = term.lower()
            gloss = _LEADING_ARTICLE.sub("", gloss.strip())
            if _TECHNICAL.match(term) and _is_gloss(gloss):
                found[(term, gloss)] += 1
    return found


def best_pairs(counts: Counter[tuple[str, str]], *, min_count: int = 2,
               min_count_single_word: int = 3) -> dict[str, str]:
    """The most frequent gloss per term, if seen often enough. One-word glosses need more
    votes: they are the ones that turn out to be adjectives ("metastatic") rather than
    explanations."""
    best: dict[str, tuple[int, str]] = {}
    for (term, lay), n in counts.items():
        needed = min_count_single_word if " " not in lay else min_count
        if n >= needed and (term not in best or n > best[term][0]):
            best[term] = (n, lay)
    return {term: lay for term, (_n, lay) in best.items()}


def build_vocabulary(mined: dict[str, str]) -> dict[str, str]:
    return {**mined, **CURATED, **{name: name for name in KEEP_WHOLE}}


def library_vocabulary(library) -> dict[str, str]:
    """Mined pairs from the library's consumer pages (cached per library version) + curated."""
    cache = Path(library.folder) / "index" / "lay_vocabulary.json"
    version = library.version
    if cache.exists():
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("library_version") == version:
            return build_vocabulary(stored["pairs"])
    mined = best_pairs(mine_pairs(_consumer_texts(library)))
    if not library.read_only:  # a replica mines in memory: nothing is written into its folder
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"library_version": version, "pairs": mined}, indent=1,
                                    sort_keys=True), encoding="utf-8")
    return build_vocabulary(mined)


def cache_library_vocabulary(library, _report: object = None) -> None:
    """The after-ingest hook (`citemed.hooks.after_ingest`): write the cache for the new
    library version (the writer's folder is writable; a no-op when it is current)."""
    library_vocabulary(library)


def _consumer_texts(library) -> Iterable[str]:
    # Only consumer pages are glossed for lay readers; read them by kind, in batches.
    ids = library.store.ids_by_kind(Kind.CONSUMER)
    for start in range(0, len(ids), 500):
        for doc in library.documents(ids[start:start + 500]):
            for section in doc.sections:
                yield section.text
