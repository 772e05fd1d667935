"""Tests of ``backsmooth graph-info`` (the parser is built directly from this module)."""

import argparse
import json

import pytest

from backsmooth.cli import graph_info as _cmd_graph_info


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="backsmooth")
    _cmd_graph_info.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["graph-info", *argv])
    code = args.func(args)
    return code, capsys.readouterr().out


class TestGraphInfo:
    def test_karate_text_report(self, capsys):
        code, out = _run(["karate"], capsys)
        assert code == 0
        assert "graph karate: 34 nodes, 78 edges" in out
        assert "ass:P (symmetric, P1 = 1, lambda < 1)  yes" in out

    def test_even_cycle_metropolis_lambda_closed_form(self, capsys):
        # C_6 with metropolis: eigenvalues 1/3 + (2/3) cos(2 pi j / 6), lambda = 2/3
        code, out = _run(["cycle:6", "--kind", "metropolis", "--json"], capsys)
        data = json.loads(out)
        assert code == 0 and data["kind"] == "metropolis" and data["nodes"] == 6
        assert data["report"]["lambda"] == pytest.approx(2 / 3, abs=1e-12)
        assert data["report"]["satisfies_ass_P"] is True

    def test_gcn_warns_about_the_limit(self, capsys):
        _, out = _run(["er:n=300,c=8", "--kind", "gcn", "--seed", "3"], capsys)
        assert "(seed 3)" in out and "warning: symmetric but not stochastic" in out

    def test_edge_list_file_with_two_components(self, capsys, tmp_path):
        path = tmp_path / "two.txt"
        path.write_text("0 1\n1 2\n2 0\n3 4\n")
        _, out = _run([str(path), "--json"], capsys)
        report = json.loads(out)["report"]
        assert report["connected"] is False and report["lambda"] == 1.0

    def test_bad_graph_is_a_value_error(self, capsys):
        with pytest.raises(ValueError, match="unknown graph 'nosuchgraph'"):
            _run(["nosuchgraph"], capsys)

    def test_bad_kind_is_a_usage_error(self, capsys):
        with pytest.raises(SystemExit) as info:
            _run(["karate", "--kind", "laplacian"], capsys)
        assert info.value.code == 2
