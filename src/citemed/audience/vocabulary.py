"""Lay vocabulary: technical term -> plain words.

Two sources, merged: pairs mined from the library's consumer pages, where writers gloss a term in
brackets ("arthralgia (joint pain)", "joint pain (arthralgia)"), and a small curated list that
fills gaps and wins on conflicts. Mined pairs are cached per library version beside the indexes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

CURATED: dict[str, str] = {
    "arthralgia": "joint pain", "myalgia": "muscle pain", "cephalalgia": "headache",
    "dyspnea": "shortness of breath", "dyspnoea": "shortness of breath",
    "tachycardia": "fast heartbeat", "bradycardia": "slow heartbeat",
    "hypertension": "high blood pressure", "hypotension": "low blood pressure",
    "hyperglycemia": "high blood sugar", "hypoglycemia": "low blood sugar",
    "hyperlipidemia": "high cholesterol", "dyslipidemia": "unhealthy cholesterol levels",
    "pyrexia": "fever", "emesis": "vomiting", "pruritus": "itching", "edema": "swelling",
    "oedema": "swelling", "erythema": "redness", "syncope": "fainting", "vertigo": "dizziness",
    "dysphagia": "trouble swallowing", "dyspepsia": "indigestion", "insomnia": "trouble sleeping",
    "fatigue": "tiredness", "malaise": "feeling unwell", "paresthesia": "tingling",
    "paraesthesia": "tingling", "alopecia": "hair loss", "nephrolithiasis": "kidney stones",
    "cholelithiasis": "gallstones", "myocardial infarction": "heart attack",
    "cerebrovascular accident": "stroke", "cerebral infarction": "stroke",
    "renal": "kidney", "hepatic": "liver", "cardiac": "heart", "pulmonary": "lung",
    "gastric": "stomach", "cutaneous": "skin", "ocular": "eye",
    "intravenous": "into a vein", "subcutaneous": "under the skin",
    "analgesic": "painkiller", "analgesics": "painkillers", "antipyretic": "fever reducer",
    "neoplasm": "tumour", "malignant": "cancerous", "benign": "not cancerous",
    "carcinoma": "cancer", "metastasis": "cancer spread", "metastases": "cancer spread",
    "osteoporosis": "thinning bones", "osteoarthritis": "wear-and-tear arthritis",
    "pediatric": "children's", "paediatric": "children's",
    "geriatric": "older people's", "postmenopausal": "after menopause",
    "premenopausal": "before menopause", "gestational": "pregnancy-related",
    "prophylaxis": "prevention", "prophylactic": "preventive", "adverse events": "side effects",
    "adverse effects": "side effects",
    "contraindicated": "not advised",
    "comorbidity": "other illness", "comorbidities": "other illnesses",
    "incidence": "number of new cases",
    "mortality": "death rate", "morbidity": "illness", "etiology": "cause",
    "aetiology": "cause", "idiopathic": "of unknown cause", "acute": "sudden",
    "chronic": "long-lasting", "asymptomatic": "without symptoms", "lesion": "damaged area",
    "lesions": "damaged areas", "inflammation": "swelling and irritation",
    "hemorrhage": "bleeding", "haemorrhage": "bleeding", "thrombosis": "blood clot",
    "embolism": "blockage by a clot", "anemia": "low red blood cells",
    "anaemia": "low red blood cells", "dermatitis": "skin inflammation",
    "gastroenteritis": "stomach bug", "rhinitis": "runny nose", "otitis media": "middle ear infection",
    "pharyngitis": "sore throat", "cognitive impairment": "memory and thinking problems",
    "randomized controlled trial": "fair test comparing treatments",
    "placebo": "dummy treatment", "cohort": "group", "randomized": "randomly assigned",
    "randomised": "randomly assigned", "statistically significant": "unlikely to be due to chance",
    "administration": "use", "administered": "given",
    "pharmacological": "medicine-based", "pharmacotherapy": "medicine treatment",
    "nonpharmacological": "non-drug", "non-pharmacological": "non-drug",
    "discontinuation": "stopping", "discontinued": "stopped", "adherence": "sticking with treatment",
    "utilize": "use", "utilization": "use", "approximately": "about", "subsequently": "later",
    "individuals": "people", "participants": "people in the study", "subjects": "people",
    # Academic wording that lifts the grade without carrying meaning a lay reader needs.
    "demonstrated": "showed", "demonstrate": "show", "demonstrates": "shows",
    "associated with": "linked to", "investigate": "study", "investigated": "studied",
    "evaluate": "check", "evaluated": "checked", "assess": "check", "assessed": "checked",
    "therapeutic": "treatment", "physician": "doctor", "physicians": "doctors",
    "additionally": "also", "numerous": "many", "sufficient": "enough", "prior to": "before",
    "in order to": "to", "observed": "seen", "elevated": "raised", "diminished": "lowered",
    "symptomatic": "with symptoms", "dysfunction": "problems", "hospitalization": "hospital stay",
    "hospitalisation": "hospital stay", "intervention": "treatment", "interventions": "treatments",
}

# A single technical word: Greek/Latin medical suffixes are what consumer writers gloss.
_TECHNICAL = re.compile(
    r"^[a-z]+(?:algia|itis|emia|aemia|osis|ectomy|otomy|ostomy|opathy|plasia|oma|uria|pnea|"
    r"pnoea|cardia|rrhea|rrhoea|rrhage|megaly|plegia|paresis|trophy|lepsy|phobia|scopy|"
    r"penia|cytosis|lithiasis|esthesia|aesthesia|kinesia|phagia|phasia|ptysis|stasis)$"
)
_GLOSS = re.compile(r"\b([A-Za-z][A-Za-z-]+(?: [A-Za-z-]+){0,3}) \(([A-Za-z][A-Za-z' -]{2,40})\)")
_LAY_WORD = re.compile(r"^[a-z][a-z'-]{1,14}$")


def _is_lay_phrase(phrase: str) -> bool:
    parts = phrase.split()
    return 1 <= len(parts) <= 4 and all(_LAY_WORD.match(p) for p in parts) and not any(
        _TECHNICAL.match(p) for p in parts)


def mine_pairs(texts: Iterable[str]) -> Counter[tuple[str, str]]:
    """Count (technical, lay) glosses in consumer text, in either bracket order."""
    found: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for left, inner in _GLOSS.findall(text):
            inner_low = inner.strip().lower()
            if _TECHNICAL.match(inner_low):
                # "joint pain (arthralgia)": the gloss is the last words before the bracket; two
                # words is the common length, and counting across pages votes out bad cuts.
                lay = _trim_lay(" ".join(left.lower().split()[-2:]))
                if _is_lay_phrase(lay):
                    found[(inner_low, lay)] += 1
                continue
            left_word = left.split()[-1].lower()
            if _TECHNICAL.match(left_word) and _is_lay_phrase(inner_low):
                found[(left_word, inner_low)] += 1
    return found


def _trim_lay(phrase: str) -> str:
    """Drop leading function words a greedy match picked up ("and joint pain" -> "joint pain")."""
    words = phrase.split()
    while len(words) > 1 and words[0] in {"and", "or", "the", "a", "an", "of", "with", "from",
                                          "to", "in", "is", "are", "as", "called", "cause"}:
        words = words[1:]
    return " ".join(words)


def best_pairs(counts: Counter[tuple[str, str]], *, min_count: int = 2) -> dict[str, str]:
    """The most frequent gloss per technical term, if seen at least `min_count` times."""
    best: dict[str, tuple[int, str]] = {}
    for (term, lay), n in counts.items():
        if n >= min_count and (term not in best or n > best[term][0]):
            best[term] = (n, lay)
    return {term: lay for term, (_n, lay) in best.items()}


def build_vocabulary(mined: dict[str, str]) -> dict[str, str]:
    return {**mined, **CURATED}


def library_vocabulary(library) -> dict[str, str]:
    """Mined pairs from the library's consumer pages (cached per library version) + curated."""
    cache = Path(library.folder) / "index" / "lay_vocabulary.json"
    version = library.version
    if cache.exists():
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("library_version") == version:
            return build_vocabulary(stored["pairs"])
    mined = best_pairs(mine_pairs(_consumer_texts(library)))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"library_version": version, "pairs": mined}, indent=1,
                                sort_keys=True), encoding="utf-8")
    return build_vocabulary(mined)


def _consumer_texts(library) -> Iterable[str]:
    # Only consumer pages are glossed for lay readers; read them by kind, in batches.
    ids = [row[0] for row in library.store.conn.execute(
        "SELECT id FROM documents WHERE kind='consumer' ORDER BY id")]
    for start in range(0, len(ids), 500):
        for doc in library.documents(ids[start:start + 500]):
            for section in doc.sections:
                yield section.text
