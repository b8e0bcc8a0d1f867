"""Story clusters: joins, separations, persistence, representatives, versions, CLI."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.dedup import open_index

REPO = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO / "crawler" / "demo" / "content" / "seeds"  # the demo portals' content
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)

_VOCAB = ("regierung minister bundestag haushalt kommission gericht polizei stadt land kreis "
          "bericht sprecher angaben mittwoch montag freitag woche jahr prozent millionen euro "
          "schule klinik verkehr bahn strecke bauarbeiten anwohner rat beschluss antrag kritik "
          "opposition fraktion gutachten zeugen verfahren urteil kläger beklagte einigung tarif "
          "gewerkschaft streik unternehmen werk standort arbeitsplätze investition förderung "
          "wetter sturm feuerwehr einsatz brand schaden ermittlungen staatsanwaltschaft "
          "verband mitglieder versammlung wahl kandidat ergebnis stimmen debatte gesetz "
          "entwurf änderung reform rente steuer energie preise verbraucher markt händler").split()


def paragraphs(seed: int, n: int = 6, words: int = 45) -> list[str]:
    """Deterministic German-looking paragraphs; different seeds share vocabulary, not text."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentences = []
        left = words
        while left > 0:
            k = min(left, rng.randint(8, 15))
            s = " ".join(rng.choice(_VOCAB) for _ in range(k))
            sentences.append(s[0].upper() + s[1:] + ".")
            left -= k
        out.append(" ".join(sentences))
    return out


def text(paras: list[str]) -> str:
    return "\n\n".join(paras)


def seed_articles() -> list[str]:
    files = sorted(SEEDS_DIR.glob("article_*.txt"))
    if len(files) < 2:
        pytest.fail(f"seed articles not found in {SEEDS_DIR}")
    return [f.read_text(encoding="utf-8") for f in files]


def test_exact_and_near_duplicates_join_one_story():
    idx = open_index(None)
    a = text(paragraphs(1))
    d1 = idx.add("a", a, published=T0)
    assert d1.reason == "new-story" and d1.representative == "a"
    d2 = idx.add("b", "  " + a.upper() + "\n", published=T0 + timedelta(hours=1))
    assert d2.reason == "exact-text" and d2.cluster_id == d1.cluster_id
    assert d2.jaccard == 1.0 and d2.nearest == "a"
    edited = paragraphs(1)
    edited[2] = edited[2].replace("minister", "ministerin", 2)
    d3 = idx.add("c", "Berlin (dpa) - " + text(edited), published=T0 + timedelta(hours=2))
    assert d3.reason == "near-duplicate" and d3.cluster_id == d1.cluster_id
    assert d3.jaccard is not None and d3.jaccard > 0.7 and d3.containment > 0.8


def test_shortened_version_joins_by_containment():
    idx = open_index(None)
    long = paragraphs(2, n=10)
    d1 = idx.add("long", text(long), published=T0)
    d2 = idx.add("short", text(long[:3]), published=T0 + timedelta(hours=1))
    assert d2.cluster_id == d1.cluster_id and d2.reason == "near-duplicate"
    assert d2.jaccard < 0.5 and d2.containment >= 0.8  # low Jaccard, joined by containment
    d3 = idx.add("mid", text(long[4:8]), published=T0 + timedelta(hours=2))
    assert d3.cluster_id == d1.cluster_id


def test_seed_story_same_event_different_reports_stay_apart():
    first, second = seed_articles()[:2]
    idx = open_index(None)
    d1 = idx.add("seed-0", first, published=T0)
    d2 = idx.add("seed-2", second, published=T0 + timedelta(hours=3))
    assert d2.cluster_id != d1.cluster_id, "two reports on the same event were merged"
    # a republication of the first with a new headline, residue and a dropped tail joins it
    lines = [ln for ln in first.splitlines() if ln.strip()]
    copy = "Herford\n" + "+++ " + "\n".join(lines[: max(3, len(lines) * 2 // 3)]) \
        + "\nSchreibe einen Kommentar"
    d3 = idx.add("seed-0-copy", copy, published=T0 + timedelta(hours=5))
    assert d3.cluster_id == d1.cluster_id and d3.nearest == "seed-0"


def test_same_topic_different_reports_stay_apart():
    idx = open_index(None)
    a = paragraphs(3)
    b = paragraphs(4)
    quote = a[1]
    b.insert(2, quote)  # the second report quotes one paragraph of the first
    d1 = idx.add("a", text(a), published=T0)
    d2 = idx.add("b", text(b), published=T0 + timedelta(hours=1))
    assert d2.cluster_id != d1.cluster_id
    # stubs sharing one legal sentence stay apart too
    legal = ("Der Volltext dieses auf Agenturmeldungen basierenden Artikels steht aus "
             "rechtlichen Gründen nicht mehr zur Verfügung.")
    s1 = idx.add("stub1", "Privater Besuch ohne Öffentlichkeit, Politiker befreundet. " + legal)
    s2 = idx.add("stub2", "Der Konzern nimmt Fertignudeln aus dem Verkauf. " + legal)
    assert s1.cluster_id != s2.cluster_id


def test_weak_middle_member_does_not_chain_two_stories():
    idx = open_index(None)
    a, c = paragraphs(5, n=6), paragraphs(6, n=6)
    d_a = idx.add("a", text(a), published=T0)
    d_b = idx.add("b", text(a[:3] + c[:3]), published=T0 + timedelta(hours=1))
    assert d_b.cluster_id == d_a.cluster_id  # half of story A: joins A
    d_c = idx.add("c", text(c), published=T0 + timedelta(hours=2))
    assert d_c.cluster_id != d_a.cluster_id, "story C chained into A through B"


def test_representative_is_earliest_published():
    idx = open_index(None)
    paras = paragraphs(7)
    d1 = idx.add("late", text(paras), published=T0 + timedelta(days=1))
    assert d1.representative == "late" and d1.previous_representative is None
    d2 = idx.add("early", text(paras[:5]), published=T0)
    assert d2.cluster_id == d1.cluster_id
    assert d2.representative == "early" and d2.previous_representative == "late"
    d3 = idx.add("later", text(paras[1:]), published=T0 + timedelta(days=2))
    assert d3.representative == "early" and d3.previous_representative is None


def test_restart_keeps_clusters_stable(tmp_path):
    path = tmp_path / "dedup"
    idx = open_index(path)
    first = {}
    for i in range(5):
        d = idx.add(f"s{i}", text(paragraphs(100 + i)), published=T0 + timedelta(minutes=i))
        first[i] = d.cluster_id
    idx.close()
    idx = open_index(path)
    for i in range(5):
        copy = "Kurz gemeldet.\n" + text(paragraphs(100 + i)[:4])
        d = idx.add(f"copy{i}", copy, published=T0 + timedelta(hours=1, minutes=i))
        assert d.cluster_id == first[i]
        assert d.representative == f"s{i}" and d.nearest == f"s{i}"
    idx.close()
    # a third process sees the copies as members too
    idx = open_index(path)
    d = idx.add("again", text(paragraphs(102)), published=T0 + timedelta(hours=2))
    assert d.cluster_id == first[2] and d.reason == "exact-text"
    idx.close()


def test_new_version_keeps_cluster_and_updates_signature(tmp_path):
    idx = open_index(tmp_path / "idx")
    paras = paragraphs(8)
    d1 = idx.add("a", text(paras), published=T0)
    d2 = idx.add("b", text(paras[:4]), published=T0 + timedelta(hours=1))
    assert d2.cluster_id == d1.cluster_id
    updated = paras[:5] + ["Aktualisiert: " + " ".join(paragraphs(9, n=1))]
    d3 = idx.add("a", text(updated), published=T0)
    assert d3.reason == "new-version" and d3.cluster_id == d1.cluster_id
    assert d3.nearest == "b"
    idx.close()
    idx = open_index(tmp_path / "idx")
    d4 = idx.add("a", text(updated + ["Nachtrag."]), published=T0)
    assert d4.reason == "new-version" and d4.cluster_id == d1.cluster_id
    idx.close()


def test_time_window_stops_matching_old_stories():
    idx = open_index(None, window_days=3)
    paras = paragraphs(10)
    d1 = idx.add("old", text(paras), published=T0)
    d2 = idx.add("recent", text(paras), published=T0 + timedelta(days=10))
    assert d2.cluster_id != d1.cluster_id
    d3 = idx.add("copy", text(paras[:5]), published=T0 + timedelta(days=11))
    assert d3.cluster_id == d2.cluster_id


def test_decision_ignores_portal_and_title():
    paras = paragraphs(11)
    results = []
    for titles in (("A", "B"), ("Gleich", "Gleich")):
        idx = open_index(None)
        d1 = idx.add("x", text(paras), title=titles[0])
        d2 = idx.add("y", text(paras[:4]), title=titles[1])
        results.append(d1.cluster_id == d2.cluster_id)
    assert results == [True, True]


def test_cli_dedup_jsonl(tmp_path, capsys):
    from crawler.cli import main

    paras = paragraphs(12)
    records = [
        {"id": "1", "text": text(paras), "title": "Erste", "portal": "a",
         "published": "2026-11-20T08:00:00+01:00"},
        {"id": "2", "text": text(paras[:4]), "title": "Zweite", "portal": "b",
         "published": "2026-11-20T07:00:00+01:00"},
        {"id": "3", "text": text(paragraphs(13)), "portal": "a"},
    ]
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert main(["dedup", str(inp)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["1", "2", "3"]
    assert set(out[0]) == {"id", "cluster", "representative", "nearest", "jaccard",
                           "containment"}
    assert out[1]["cluster"] == out[0]["cluster"] and out[1]["representative"] == "2"
    assert out[1]["nearest"] == "1" and out[1]["containment"] >= 0.8
    assert out[2]["cluster"] not in (out[0]["cluster"],)
    # with --index the index persists: a second run joins the same stories
    outfile = tmp_path / "out.jsonl"
    assert main(["dedup", str(inp), "--index", str(tmp_path / "idx"), "--out", str(outfile)]) == 0
    first = [json.loads(line) for line in outfile.read_text().splitlines()]
    inp2 = tmp_path / "in2.jsonl"
    inp2.write_text(json.dumps({"doc": "4", "body": text(paras[1:5])}) + "\n", encoding="utf-8")
    assert main(["dedup", str(inp2), "--index", str(tmp_path / "idx"), "--text-field", "body",
                 "--id-field", "doc", "--out", str(outfile)]) == 0
    second = json.loads(outfile.read_text())
    assert second["cluster"] == first[0]["cluster"] and second["representative"] == "2"


def test_second_process_cannot_open_a_local_index(tmp_path):
    idx = open_index(tmp_path / "idx")
    try:
        with pytest.raises(RuntimeError, match="in use"):
            open_index(tmp_path / "idx")
    finally:
        idx.close()
    open_index(tmp_path / "idx").close()


def test_cli_dedup_clean_option_runs_clean_stage_first(tmp_path, capsys):
    from crawler.cli import main

    paras = paragraphs(14)
    records = [{"id": "a", "text": "Politik\n" + text(paras) + "\nSchreibe einen Kommentar",
                "title": "Eins"},
               {"id": "b", "text": "Herford\n" + text(paras[:4]) + "\nDiesen Artikel teilen",
                "title": "Zwei"}]
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert main(["dedup", str(inp), "--clean"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[1]["cluster"] == out[0]["cluster"] and out[1]["nearest"] == "a"
