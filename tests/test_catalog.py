"""Tests for the entity catalog (bot/catalog.py, bot/data/catalog.yml) and the NLU
resources generated from it (bot/nlu_resources.py)."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import yaml

from bot import nlu_resources
from bot.catalog import (
    DEFAULT_CATALOG_PATH,
    TREATMENT_CATEGORIES,
    Catalog,
    CatalogError,
    load_catalog,
    normalize,
    parse_catalog,
)

ROOT = Path(__file__).resolve().parent.parent
NLU_DIRS = [ROOT / "data" / "nlu", ROOT / "tests" / "nlu"]
CATALOG_ENTITIES = ("hospital", "department", "treatment")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def raw_catalog() -> dict:
    return yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the catalog itself
def test_enough_hospitals_across_enough_cities(catalog: Catalog) -> None:
    assert len(catalog.hospitals) >= 55
    assert len(set(h.city for h in catalog.hospitals)) >= 10
    for city in ("北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "天津", "重庆"):
        assert catalog.hospitals_in_city(city), city


def test_departments_and_treatments_present(catalog: Catalog) -> None:
    assert len(catalog.departments) >= 30
    assert len(catalog.treatments) >= 30
    assert {t.category for t in catalog.treatments} == set(TREATMENT_CATEGORIES)


def test_every_hospital_is_complete(catalog: Catalog) -> None:
    for h in catalog.hospitals:
        assert h.name and h.full_name and h.city and h.unit, h


def test_ids_unique_per_section(raw_catalog: dict) -> None:
    for section in ("hospitals", "departments", "treatments"):
        ids = [item["id"] for item in raw_catalog[section]]
        assert len(ids) == len(set(ids)), section


def test_every_term_names_exactly_one_entry(catalog: Catalog) -> None:
    owner: Dict[str, str] = {}
    for entity_type, term, entry in catalog.iter_terms():
        key = normalize(term)
        claimed = f"{entity_type}:{entry.id}"
        assert owner.setdefault(key, claimed) == claimed, (term, owner[key], claimed)
    for alias, ids in catalog.ambiguous_aliases.items():
        assert normalize(alias) not in owner, alias
        assert len(ids) >= 2, alias


def test_lookups_resolve_aliases(catalog: Catalog) -> None:
    assert catalog.hospital_by_alias("协和").name == "北京协和医院"
    assert catalog.hospital_by_alias("武汉协和").full_name == "华中科技大学同济医学院附属协和医院"
    assert catalog.hospital_by_alias("上海瑞金").name == "瑞金医院"
    assert catalog.hospital_by_alias(" 浙大一院 ").city == "杭州"
    assert catalog.hospital_by_alias("中山一院").name == "中山大学附属第一医院"
    assert catalog.hospital_by_alias("皮肤科") is None  # a department, not a hospital
    assert catalog.canonical("department", "心内") == "心内科"
    assert catalog.canonical("department", "牙科") == "口腔科"
    assert catalog.canonical("treatment", "pd-1") == "肿瘤免疫治疗"
    assert catalog.canonical("treatment", "ＰＥＴ－ＣＴ") == "PET-CT检查"
    assert catalog.canonical("treatment", "核磁") == "磁共振检查"
    assert catalog.treatment_by_alias("化疗").category == "chemotherapy"
    assert catalog.canonical("hospital", "不存在的医院") is None


def test_ambiguous_hospital_words_are_never_resolved_silently(catalog: Catalog) -> None:
    for word in ("中山医院", "人民医院", "儿童医院"):
        assert catalog.hospital_by_alias(word) is None
        assert catalog.is_ambiguous_hospital(word)
        assert len(catalog.hospital_candidates(word)) >= 2
    names = {h.name for h in catalog.hospital_candidates("中山医院")}
    assert {"复旦大学附属中山医院", "厦门大学附属中山医院"} <= names
    assert [h.name for h in catalog.hospital_candidates("华山")] == ["华山医院"]
    assert catalog.hospital_candidates("火星医院") == []


def test_load_catalog_is_cached(catalog: Catalog) -> None:
    assert load_catalog() is catalog
    assert load_catalog(DEFAULT_CATALOG_PATH) is catalog


# ------------------------------------------------------------------ validation errors
@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c["hospitals"].append(dict(c["hospitals"][0], aliases=[])), "duplicate id"),
        (lambda c: c["departments"][1]["aliases"].append(c["departments"][0]["name"]), "already claimed"),
        (lambda c: c["treatments"][0]["aliases"].append(c["hospitals"][0]["aliases"][0]), "already claimed"),
        (lambda c: c["hospitals"][0].update(name=""), "non-empty"),
        (lambda c: c["hospitals"][0].update(name="北京 协和"), "whitespace"),
        (lambda c: c["treatments"][0].update(category="magic"), "unknown category"),
        (lambda c: c["ambiguous_aliases"].update({"某医院": ["pumch", "no_such_id"]}), "unknown hospital ids"),
        (lambda c: c["ambiguous_aliases"].update({"协和": ["pumch", "wh_union"]}), "also an alias"),
        (lambda c: c["ambiguous_aliases"].update({"某医院": ["pumch"]}), "at least two"),
        (lambda c: c["hospitals"][0]["aliases"].append("PUMCH".lower()), "listed twice"),
        (lambda c: c["vocabulary"].append("化疗"), "not vocabulary"),
    ],
)
def test_invalid_catalogs_fail_clearly(raw_catalog: dict, mutate, message: str) -> None:
    broken = copy.deepcopy(raw_catalog)
    mutate(broken)
    with pytest.raises(CatalogError, match=message):
        parse_catalog(broken)


def test_bad_file_reports_path(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yml"
    path.write_text("hospitals: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(path)


# ------------------------------------------------------------------ NLU data uses the catalog
def _nlu_files() -> List[Path]:
    files = []
    for directory in NLU_DIRS:
        files += sorted(p for p in directory.glob("*.yml") if p.name != nlu_resources.NLU_PATH.name)
    return files


def _examples() -> Iterator[Tuple[Path, str, dict]]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    for path in _nlu_files():
        data = RasaYAMLReader().read(path)
        for message in data.training_examples:
            yield path, message.get("text"), message


def test_annotated_entity_values_resolve_through_the_catalog(catalog: Catalog) -> None:
    problems = []
    for path, text, message in _examples():
        for entity in message.get("entities") or []:
            kind, value = entity["entity"], entity["value"]
            if kind not in CATALOG_ENTITIES:
                continue
            if catalog.canonical(kind, value) is not None:
                continue
            if kind == "hospital" and catalog.is_ambiguous_hospital(value):
                continue  # the dialogue asks which one
            problems.append(f"{path.relative_to(ROOT)}: {kind} {value!r} in {text!r}")
    assert not problems, "unknown to bot/data/catalog.yml:\n" + "\n".join(problems)


def test_annotated_entities_align_with_jieba_tokens() -> None:
    """Rasa drops (with only a warning) an entity whose span cuts a token: with our
    user dictionary loaded, every span must start and end on a token boundary."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(ROOT / nlu_resources.USERDICT_PATH))
    problems = []
    for path, text, message in _examples():
        entities = message.get("entities") or []
        if not entities:
            continue
        tokens = [(s, e) for w, s, e in tokenizer.tokenize(text) if w.strip()]
        starts, ends = {s for s, _ in tokens}, {e for _, e in tokens}
        for entity in entities:
            if entity["start"] not in starts or entity["end"] not in ends:
                words = [text[s:e] for s, e in tokens]
                problems.append(f"{path.relative_to(ROOT)}: {entity['value']!r} in {words}")
    assert not problems, "entity spans cutting jieba tokens:\n" + "\n".join(problems)


# ------------------------------------------------------------------ generated resources
def test_generated_files_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.nlu_resources", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + "\nrun: python -m bot.nlu_resources"


def test_check_detects_stale_and_missing_files(tmp_path: Path, capsys) -> None:
    assert nlu_resources.main(["--check", "--root", str(tmp_path)]) == 1
    assert nlu_resources.main(["--root", str(tmp_path)]) == 0
    assert nlu_resources.main(["--check", "--root", str(tmp_path)]) == 0
    userdict = tmp_path / nlu_resources.USERDICT_PATH
    userdict.write_text(userdict.read_text(encoding="utf-8") + "手写的词 5 n\n", encoding="utf-8")
    assert nlu_resources.main(["--check", "--root", str(tmp_path)]) == 1
    assert "userdict.txt" in capsys.readouterr().err


def test_generation_is_deterministic(catalog: Catalog) -> None:
    assert nlu_resources.generate(catalog) == nlu_resources.generate(catalog)
    for content in nlu_resources.generate(catalog).values():
        assert content.startswith("# GENERATED FILE")
        assert "python -m bot.nlu_resources" in content.splitlines()[0]


def test_generated_synonyms_and_lookups(catalog: Catalog) -> None:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().reads(nlu_resources.render_nlu(catalog))
    synonyms = data.entity_synonyms
    assert synonyms["协和"] == "北京协和医院"
    assert synonyms["心内"] == "心内科"
    assert synonyms["PD-1"] == "肿瘤免疫治疗"
    assert "中山医院" not in synonyms  # ambiguous: never mapped
    for entity_type, term, entry in catalog.iter_terms():
        if term != entry.name:
            assert synonyms[term] == entry.name, term
    lookups = {table["name"]: table["elements"] for table in data.lookup_tables}
    assert set(lookups) == set(CATALOG_ENTITIES)
    assert "中山医院" in lookups["hospital"] and "北京协和医院" in lookups["hospital"]
    assert "口腔科" in lookups["department"] and "化疗" in lookups["treatment"]


def test_userdict_keeps_catalog_words_whole(catalog: Catalog) -> None:
    import jieba

    lines = nlu_resources.render_userdict(catalog).splitlines()
    entries = [line.split(" ") for line in lines if not line.startswith("#")]
    assert all(len(parts) == 3 and parts[1].isdigit() for parts in entries)
    words = [parts[0] for parts in entries]
    assert len(words) == len(set(words))
    assert {"北京协和医院", "协和", "心内科", "PET-CT", "预授权"} <= set(words)

    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(ROOT / nlu_resources.USERDICT_PATH))
    assert "邵逸夫" in tokenizer.lcut("帮我约邵逸夫的消化内科")
    assert "华西医院" in tokenizer.lcut("下周在华西医院做化疗")
    assert "预授权" in tokenizer.lcut("做个核磁要预授权吗")
