"""The ``backsmooth derive`` command (backsmooth.cli.derive)."""

import argparse
import io

import pytest

import backsmooth.symbolic as bs
from backsmooth.cli import derive as _cmd_derive


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="backsmooth")
    sub = parser.add_subparsers(dest="command")
    _cmd_derive.register(sub)
    args = parser.parse_args(["derive", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


class TestDeriveCommand:
    def test_list_shows_every_claim_with_provenance(self, capsys):
        code, out, _ = _run(["--list"], capsys)
        assert code == 0
        for name in bs.claims():
            line = next(li for li in out.splitlines() if li.split()[0] == name)
            assert f"[{bs.claim(name).provenance}]" in line

    def test_theorem1_latex_parses_with_mathtext(self, capsys):
        mathtext = pytest.importorskip("matplotlib.mathtext")
        code, out, _ = _run(["theorem1", "--latex"], capsys)
        assert code == 0
        fragments = [li for li in out.splitlines() if li.strip() and not li.startswith("%")]
        assert len(fragments) >= len(bs.claim("theorem1").statement) + len(bs.derive("theorem1"))
        for fragment in fragments:
            mathtext.math_to_image(f"${fragment}$", io.BytesIO(), format="png")
        assert r"\lambda" in out and r"\mathcal{E}" in out

    @pytest.mark.parametrize("name", bs.derivations())
    def test_every_latex_output_parses(self, name, capsys):
        mathtext = pytest.importorskip("matplotlib.mathtext")
        code, out, _ = _run([name, "--latex"], capsys)
        assert code == 0
        parser = mathtext.MathTextParser("path")  # parses without rasterising
        for fragment in (li for li in out.splitlines() if li.strip() and not li.startswith("%")):
            parser.parse(f"${fragment}$")

    def test_text_output(self, capsys):
        code, out, _ = _run(["theorem3", "--text"], capsys)
        assert code == 0
        assert "provenance: [reconstruction]" in out and "hypotheses: A1+" in out
        assert "[verified, rational instances]" in out and "steps verified" in out

    def test_unknown_name_exit_2(self, capsys):
        code, _, err = _run(["theorem7"], capsys)
        assert code == 2
        assert "unknown name 'theorem7'" in err and "proposition2" in err

    def test_missing_name_exit_2(self, capsys):
        code, _, err = _run([], capsys)
        assert code == 2 and "--list" in err

    def test_latex_and_text_exclusive(self):
        parser = argparse.ArgumentParser(prog="backsmooth")
        _cmd_derive.register(parser.add_subparsers(dest="command"))
        with pytest.raises(SystemExit):
            parser.parse_args(["derive", "lemma1", "--latex", "--text"])
