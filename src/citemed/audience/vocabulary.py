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
from pathlib import Path

from citemed.model import Kind

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
    "chronic": "long-term", "asymptomatic": "symptom-free", "lesion": "damaged area",
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
    # Passive forms take the participle ("was demonstrated" -> "was shown", not "was showed").
    "was demonstrated": "was shown", "were demonstrated": "were shown",
    "been demonstrated": "been shown", "be demonstrated": "be shown",
    "is demonstrated": "is shown", "are demonstrated": "are shown",
    "associated with": "linked to", "investigate": "study", "investigated": "studied",
    "evaluate": "check", "evaluated": "checked", "assess": "check", "assessed": "checked",
    "therapeutic": "treatment", "physician": "doctor", "physicians": "doctors",
    "additionally": "also", "numerous": "many", "sufficient": "enough", "prior to": "before",
    "in order to": "to", "elevated": "raised", "diminished": "lowered",
    "dysfunction": "problems", "hospitalization": "hospital stay",
    "hospitalisation": "hospital stay", "intervention": "treatment", "interventions": "treatments",
    # Frequent long words in PubMedQA train_dev conclusions (four or more syllables) whose
    # plain form reads the same in any position ("additional" -> "extra", not "more": "an more").
    "efficacy": "benefit", "efficacious": "effective", "laparoscopic": "keyhole",
    "association": "link", "associations": "links", "correlation": "link",
    "correlations": "links", "relationship": "link", "appropriate": "suitable",
    "recommended": "advised", "undergoing": "having", "previously": "earlier",
    "radiotherapy": "radiation treatment", "comparable": "similar", "additional": "extra",
    "potentially": "possibly", "predominantly": "mainly", "primarily": "mainly",
    "beneficial": "helpful", "adequately": "well enough", "inadequate": "not enough",
    "relatively": "fairly", "concentration": "level", "concentrations": "levels",
    "atherosclerosis": "hardening of the arteries", "cholecystectomy": "gallbladder removal",
    "gastrectomy": "stomach removal",
    "cardiovascular": "heart and blood vessel", "gastrointestinal": "gut",
    "abdominal": "belly", "characteristics": "features", "parameters": "measures",
    "mobility": "movement", "indicator": "sign", "indicators": "signs", "hypothesis": "idea",
    "facilitate": "help", "facilitates": "helps", "enhanced": "improved", "enhance": "improve",
    "initiated": "started", "initiation": "start", "frequently": "often", "regarding": "about",
    "equivalent": "equal", "modality": "method", "modalities": "methods", "optimal": "best",
    "substantially": "greatly", "considerably": "greatly", "nevertheless": "still",
    "furthermore": "also", "principal": "main", "ameliorate": "improve",
    "complications": "problems", "postoperative complications": "problems after surgery",
    "elderly patients": "older people", "the elderly": "older people",
    "feasible": "possible", "evaluation": "check",
    "evaluations": "checks", "investigation": "study", "investigations": "tests",
    "socioeconomic": "income and social", "socio-economic": "income and social",
    "appropriately": "properly", "xerostomia": "dry mouth", "thrombolysis": "clot-busting",
    "cystectomy": "bladder removal", "disparities": "gaps", "radiographic": "X-ray",
    # Session 2: more frequent long words of PubMedQA train_dev patient answers, again only where
    # the plain word fits every position ("symptomatic relapse" has none, so it stays; nor do
    # "progression" of a tumour into a vein, "recurrence" and "assessment", tried and dropped).
    "hypoglycaemia": "low blood sugar", "hyperglycaemia": "high blood sugar",
    "revealed": "showed", "reveal": "show", "reveals": "shows", "medication": "medicine",
    "medications": "medicines", "moreover": "also", "consequently": "so",
    "identify": "find", "identified": "found", "identifying": "finding",
    "determine": "find out", "determining": "finding out", "therapy": "treatment",
    "therapies": "treatments", "duration": "length", "necessary": "needed",
    "unnecessary": "not needed", "examination": "exam", "examinations": "exams",
    "subsequent": "later", "management": "care",
    "smoking cessation": "quitting smoking", "cessation": "stopping", "neonates": "newborns",
    "neonatal": "newborn", "adolescents": "teenagers", "elderly": "older",
    "utilized": "used", "utilised": "used",
    # General glosses beating organ-specific ones mined from single pages ("lung scarring").
    "fibrosis": "scarring", "stenosis": "narrowing", "cardiomyopathy": "heart muscle disease",
}

# Names of conditions that contain a term above but must be kept whole ("cystic fibrosis" is not
# "cystic scarring"). They map to themselves; longest-match-first makes them win.
KEEP_WHOLE = [
    "cystic fibrosis", "pulmonary fibrosis", "multiple sclerosis", "systemic sclerosis",
    "amyotrophic lateral sclerosis", "tuberous sclerosis", "spinal stenosis", "aortic stenosis",
    "pyloric stenosis", "chronic obstructive pulmonary disease", "acute myeloid leukemia",
    "acute lymphoblastic leukemia", "chronic lymphocytic leukemia", "chronic myeloid leukemia",
    "benign prostatic hyperplasia", "renal cell carcinoma", "hepatocellular carcinoma",
]

# A single technical word: Greek/Latin medical suffixes are what consumer writers gloss.
_TECHNICAL = re.compile(
    r"^[a-z]+(?:algia|itis|emia|aemia|osis|ectomy|otomy|ostomy|opathy|plasia|oma|uria|pnea|"
    r"pnoea|cardia|rrhea|rrhoea|rrhage|megaly|plegia|paresis|trophy|lepsy|phobia|scopy|"
    r"penia|cytosis|lithiasis|esthesia|aesthesia|kinesia|phagia|phasia|ptysis|stasis)$"
)
# "arthralgia (joint pain)": a technical word, then a lower-case gloss in brackets. The reverse
# order ("joint pain (arthralgia)") was tried on MedQuAD and dropped: where the lay phrase starts
# cannot be told without a parser, and a cut-off gloss changes meaning ("slow heart rate" ->
# "heart rate").
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
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"library_version": version, "pairs": mined}, indent=1,
                                sort_keys=True), encoding="utf-8")
    return build_vocabulary(mined)


def _consumer_texts(library) -> Iterable[str]:
    # Only consumer pages are glossed for lay readers; read them by kind, in batches.
    ids = library.store.ids_by_kind(Kind.CONSUMER)
    for start in range(0, len(ids), 500):
        for doc in library.documents(ids[start:start + 500]):
            for section in doc.sections:
                yield section.text
