"""Learned portal templates (crawler.cleaning.templates) across several pages of one portal, with guards."""

from crawler.cleaning import clean_text
from crawler.cleaning.templates import TemplateStore

CHROME_TOP = "Die Zeitung für Herford und das Wittekindsland"
CHROME_BOTTOM = "Weserbote – Ihre Heimatzeitung seit 1848"
QUOTE = "„Wir werden alles tun, um die Versorgung in der Region zu sichern“, sagte der Landrat am Abend."


def page(i: int, *, quote: bool = False) -> str:
    body = [f"Artikel {i}: Der Rat der Stadt hat am Dienstag über das Projekt Nummer {i} beraten und abgestimmt.",
            f"Die Entscheidung fiel mit {i + 20} zu {i + 3} Stimmen, nach einer langen und kontroversen Debatte."]
    if quote:
        body.append(QUOTE)
    return "\n".join([CHROME_TOP, *body, CHROME_BOTTOM])


def test_recurring_lines_are_learned_and_removed_on_later_pages(tmp_path):
    store = TemplateStore(tmp_path / "templates.sqlite")
    for i in range(3):
        res = clean_text(page(i), portal="weserbote", templates=store, learn=True)
        assert not any(r["rule"].startswith("template:") for r in res.removed)  # not yet learned
    res = clean_text(page(99), portal="weserbote", templates=store, learn=False)
    assert {(r["line"], r["rule"]) for r in res.removed} == {
        (CHROME_TOP, "template:weserbote"), (CHROME_BOTTOM, "template:weserbote")}
    assert "Artikel 99" in res.text
    store.close()
    # persisted: a new store on the same file knows the template
    store = TemplateStore(tmp_path / "templates.sqlite")
    assert set(store.learned_lines("weserbote")) == {CHROME_TOP, CHROME_BOTTOM}
    # per portal: another portal is unaffected
    res = clean_text(page(5), portal="tagesblick", templates=store)
    assert not res.removed
    store.close()


def test_learning_only_with_learn_flag(tmp_path):
    store = TemplateStore(tmp_path / "t.sqlite")
    for i in range(5):
        clean_text(page(i), portal="p", templates=store, learn=False)
    assert store.page_count("p") == 0 and store.learned_lines("p") == []


def test_same_page_twice_counts_once(tmp_path):
    store = TemplateStore(tmp_path / "t.sqlite")
    for _ in range(5):
        clean_text(page(1), portal="p", templates=store, learn=True)
    assert store.page_count("p") == 1
    assert store.learned_lines("p") == []


def test_quote_in_two_articles_and_one_off_lines_are_never_learned(tmp_path):
    store = TemplateStore(tmp_path / "t.sqlite")
    for i in range(10):
        clean_text(page(i, quote=i in (3, 7)), portal="p", templates=store, learn=True)
    learned = set(store.learned_lines("p"))
    assert QUOTE not in learned
    assert not any(line.startswith("Artikel") for line in learned)
    res = clean_text(page(50, quote=True), portal="p", templates=store)
    assert QUOTE in res.text.split("\n")


def test_sentence_in_a_few_articles_is_not_learned(tmp_path):
    """A wire sentence in 4 of 20 articles is not template chrome (sentence guard)."""
    store = TemplateStore(tmp_path / "t.sqlite")
    for i in range(20):
        clean_text(page(i, quote=i % 5 == 0), portal="p", templates=store, learn=True)
    assert QUOTE not in store.learned_lines("p")
    assert CHROME_TOP in store.learned_lines("p")


def test_page_count_is_kept_in_a_counter_and_rebuilt_for_older_files(tmp_path):
    import sqlite3

    path = tmp_path / "t.sqlite"
    store = TemplateStore(path)
    for i in range(4):
        store.learn("p", [f"Zeile {i}", "Impressum"], page_key=f"page-{i}")
    store.learn("p", ["Zeile 0", "Impressum"], page_key="page-0")  # the same page again: not counted
    store.learn("q", ["Anderes Portal"], page_key="page-0")
    assert store.page_count("p") == 4 and store.page_count("q") == 1 and store.page_count("none") == 0
    store.close()
    with sqlite3.connect(path) as db:  # a file from before the counters
        db.execute("DROP TABLE template_portals")
    reopened = TemplateStore(path)
    assert reopened.page_count("p") == 4 and reopened.page_count("q") == 1
    reopened.close()
