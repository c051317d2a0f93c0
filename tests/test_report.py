"""The report package: MathML conversion, LaTeX escaping, tables, computed sentences, provenance."""

import json

import pandas as pd
import pytest
from markupsafe import Markup

from digitstudy.report import observations as obs
from digitstudy.report import provenance as prov
from digitstudy.report import tables
from digitstudy.report.mathml import TheoryError, align_rows, tex_to_html
from digitstudy.report.render import latex_environment, latex_escape
from tests.conftest import REPO


def test_theory_files_convert_to_mathml():
    for name in ("ex1_backprop.tex", "ex1_lecun.tex"):
        html = tex_to_html((REPO / "report/theory" / name).read_text())
        assert html.count("<math") >= 5
        assert "\\begin" not in html and "$" not in html
        assert "<h4>" in html


def test_align_rows_drop_alignment_points_and_keep_pairs_apart():
    rows = align_rows(r"a &= b, & c &= d \\ e &= f")
    assert rows == [r"a = b, \qquad c = d", "e = f"]


def test_display_math_is_block_and_fraction_is_mathml():
    html = tex_to_html(r"Text $x^2$ here. \begin{equation} \frac{a}{b} \end{equation}")
    assert 'display="block"' in html and "<mfrac>" in html and 'display="inline"' in html


def test_unsupported_prose_command_is_named():
    with pytest.raises(TheoryError, match=r"\\cite"):
        tex_to_html(r"As shown by \cite{lecun}.")


def test_latex_escape_specials_and_keeps_markup():
    assert latex_escape("50% of a_b & {c} #1 $") == r"50\% of a\_b \& \{c\} \#1 \$"
    assert latex_escape("0.96 ± 0.01") == r"0.96 $\pm$ 0.01"
    assert latex_escape(Markup(r"\textbf{x}")) == r"\textbf{x}"


def test_latex_template_escapes_values(tmp_path):
    (tmp_path / "t.tex.j2").write_text(r"\VAR{value} \VAR{raw|raw}" + "\n%% if flag\nyes\n%% endif\n")
    out = latex_environment(tmp_path).get_template("t.tex.j2").render(value="a_b", raw=r"\emph{c}", flag=True)
    assert out.strip().splitlines() == [r"a\_b \emph{c}", "yes"]


def test_configuration_listing_ends_without_an_empty_line(tmp_path):
    """The report's configuration listing (a Verbatim block of YAML, which ends with a newline):
    an empty last line started a blank page of its own when the listing filled the page."""
    from digitstudy.report.provenance import config_yaml

    template = (REPO / "report/templates/report.tex.j2").read_text()
    start = template.index(r"\begin{Verbatim}", template.index("Configuration of this run"))
    end = template.index(r"\end{Verbatim}", start) + len(r"\end{Verbatim}")
    (tmp_path / "listing.tex.j2").write_text(template[start:end])
    text = config_yaml({"ex3": {"epochs": 18}, "writers": {"usps": {"source": "auto"}}})
    assert text.endswith("\n")
    out = latex_environment(tmp_path).get_template("listing.tex.j2").render(provenance={"config_yaml": text})
    assert out.splitlines()[-2:] == ["  usps: {source: auto}", r"\end{Verbatim}"]


def _scores_csv(path):
    pd.DataFrame(
        {
            "activation": ["relu", "sigmoid"],
            "depth": [5, 40],
            "seeds": [3, 3],
            "accuracy_mean": [0.96171, 0.1135],
            "accuracy_std": [0.00208, 0.0],
            "loss_mean": [0.138, 2.301],
            "loss_std": [0.0167, 0.0001],
            "diverged_runs": [0, 0],
            "train_seconds_mean": [32.1, 70.44],
        }
    ).to_csv(path, index=False)
    return path


def test_scores_table_formats_every_cell_from_the_file(tmp_path):
    table = tables.scores(_scores_csv(tmp_path / "scores.csv"))
    assert table.rows[0] == ["relu", "5", "3", "0.9617 ± 0.0021", "0.1380 ± 0.0167", "0", "32.1"]
    assert table.rows[1][3] == "0.1135 ± 0.0000"
    assert table.source.endswith("scores.csv")


def test_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="does not match"):
        tables.Table("t", "t", "f", ["a", "b"], [["1"]])


def _facts(collapsed, sigmoid_orders):
    def config(activation, depth, mean, at_chance, orders):
        return {
            "activation": activation,
            "setup": activation,
            "depth": depth,
            "seeds": 3,
            "accuracy_mean": mean,
            "accuracy_std": 0.001,
            "accuracy_min": mean - 0.001,
            "accuracy_max": mean + 0.001,
            "runs_at_chance": 3 if at_chance else 0,
            "all_runs_at_chance": at_chance,
            "diverged_runs": 0,
            "gradient_first_over_last": {
                "0": {
                    "orders_of_magnitude_mean": orders,
                    "orders_of_magnitude_min": orders,
                    "orders_of_magnitude_max": orders,
                    "first_over_last_geomean": 10**-orders,
                }
            },
        }

    configs = [
        config("tanh", 5, 0.96, False, 0.1),
        config("tanh", 40, 0.95, False, 0.5),
        config("sigmoid", 5, 0.11 if collapsed else 0.9, collapsed, 2.0),
        config("sigmoid", 40, 0.11 if collapsed else 0.8, collapsed, sigmoid_orders),
    ]
    return {
        "chance": {"majority_digit": 1, "majority_share": 0.1135, "threshold": 0.1235, "definition": "d"},
        "configurations": configs,
        "collapsed": [f"{c['activation']}-{c['depth']}" for c in configs if c["all_runs_at_chance"]],
        "partly_collapsed": [],
        "best": configs[0],
        "largest_seed_spread": configs[1],
    }


def test_ex1_sentences_follow_the_facts():
    collapsed = " ".join(obs.ex1_scores(_facts(True, 24.8)))
    assert "Collapsed to chance in every seed: sigmoid at depths 5 and 40 (2 of 4 configurations)" in collapsed
    assert "tanh at depth 5: 0.9600 ± 0.0010" in collapsed
    assert "sigmoid: 0.1100 at depth 5, 0.1100 at depth 40 (unchanged from depth 5 to 40)" in collapsed
    assert "tanh: 0.9600 at depth 5, 0.9500 at depth 40 (a drop of 0.0100 from depth 5 to 40)" in collapsed
    healthy = " ".join(obs.ex1_scores(_facts(False, 24.8)))
    assert "No configuration collapsed" in healthy and "sigmoid at depths" not in healthy


def test_gradient_sentences_state_the_computed_orders():
    text = " ".join(obs.ex1_gradients(_facts(True, 24.8)))
    assert "sigmoid with 40 hidden layers: the largest gradient falls by 24.8 orders of magnitude" in text
    assert "sigmoid-40" in text and "tanh-40" not in text.split("vanishing gradients")[-1]
    small = " ".join(obs.ex1_gradients(_facts(True, 1.0)))
    assert "falls by 1.0 orders" in small


def test_gradient_orders_table_reads_observations(tmp_path):
    path = tmp_path / "observations.json"
    path.write_text(json.dumps(_facts(True, 24.8)))
    table = tables.gradient_orders(path)
    assert table.columns == ["activation", "depth", "epoch 0"]
    assert table.rows[3] == ["sigmoid", "40", "24.80 [24.80, 24.80]"]


def test_ex2_sentences_mark_the_stand_in():
    metrics = {
        "test_accuracy": 0.98,
        "test_images": 400,
        "parameters": 100,
        "epochs": 5,
        "best_epoch": 3,
        "stopped_early": True,
        "per_class": [{"digit": d, "recall": 0.9 + d / 100} for d in range(10)],
        "data": {"stand_in": True},
    }
    text = " ".join(obs.ex2(metrics))
    assert "restored the weights of epoch 3" in text and "least often is 0" in text and "NOT REAL SVHN" in text
    metrics["data"]["stand_in"] = False
    assert "NOT REAL SVHN" not in " ".join(obs.ex2(metrics))


def test_grading_sentences_name_refusals():
    frame = pd.DataFrame(
        {
            "submission": ["a.h5", "b.keras"],
            "accuracy": [0.5, None],
            "status": ["graded", "refused: Lambda"],
            "marks": [40.0, 0.0],
        }
    )
    text = " ".join(obs.grading(frame))
    assert "1 of 2 submissions were graded; 1 refused" in text and "b.keras: refused: Lambda" in text


def test_seeds_are_found_anywhere_in_the_config():
    config = {"ex1": {"seeds": [0, 1], "split_seed": 3}, "svhn": {"standin": {"seed": 7}}, "epochs": 2}
    assert prov.seeds(config) == [("ex1.seeds", "[0, 1]"), ("ex1.split_seed", "3"), ("svhn.standin.seed", "7")]


def test_runtimes_sum_benchmark_files(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (tmp_path / "ex1_train").mkdir()
    (tmp_path / "ex1_train/a.tsv").write_text(header + "10.0\t0:00:10\t100\t1\t1\t1\t0\t0\t1\t9\n")
    (tmp_path / "ex1_train/b.tsv").write_text(header + "30.5\t0:00:30\t250\t1\t1\t1\t0\t0\t1\t29\n")
    (tmp_path / "ex2_train").mkdir()
    (tmp_path / "ex2_train/ex2_train.tsv").write_text(header + "5.0\t0:00:05\t900\t1\t1\t1\t0\t0\t1\t5\n")
    (tmp_path / "ex1_train/stale.tsv").write_text(header + "99\t0:01:39\t1\t1\t1\t1\t0\t0\t1\t9\n")
    # Only the files given (this run's jobs) count, not whatever else lies in benchmarks/.
    table = prov.runtimes(
        [
            str(tmp_path / "ex1_train/a.tsv"),
            str(tmp_path / "ex1_train/b.tsv"),
            str(tmp_path / "ex2_train/ex2_train.tsv"),
        ]
    )
    assert table.rows == [["ex1_train", "2", "40.5", "30.5", "250"], ["ex2_train", "1", "5.0", "5.0", "900"]]


def test_git_commit_outside_a_checkout(tmp_path):
    assert prov.git_commit(tmp_path).startswith("unknown")


def test_recogniser_sentences_come_from_the_model_card():
    card = {
        "ensemble_size": 2,
        "parameters": 485_460,
        "training_data": ["mnist train", "semeion (x4)"],
        "training_images": 60_952,
        "training": {"epochs": 12, "train_seconds": 806.5},
        "held_out_writers": ["usps test"],
        "accuracy": {
            "mnist test": {"accuracy": 0.9943, "images": 10_000, "held_out_writers": False},
            "usps test": {"accuracy": 0.97857, "images": 2_007, "held_out_writers": True},
        },
    }
    sentences = obs.ex3(card)
    assert sentences[0] == (
        "The recogniser (the mean of 2 networks, 485,460 parameters in all) was trained on "
        "mnist train and semeion (x4) (60,952 images per epoch) for 12 epochs each in 806 s."
    )
    assert "usps test: accuracy 0.9786 on 2,007 images (writers never seen in training)." in sentences
    card.update(held_out_writers=[], ensemble_size=1, parameters=242_730)
    assert "not measured" in obs.ex3(card)[-1] and "(242,730 parameters)" in obs.ex3(card)[0]


def test_recogniser_sentence_names_the_input_blur_the_validation_loss_chose():
    card = {
        "ensemble_size": 1,
        "parameters": 242_755,
        "training_data": ["mnist train"],
        "training_images": 55_000,
        "training": {"epochs": 1, "train_seconds": 30.0},
        "held_out_writers": ["usps test"],
        "accuracy": {},
        "input_blur": {"sigma_pixels": 0.5, "validation_loss": {"0.0": 0.0179, "0.5": 0.0158}},
    }
    assert (
        "Of the input blurs tried (sigma 0.0, 0.5 px), the lowest validation loss chose a fixed Gaussian blur "
        "of its input (sigma 0.5 px)."
    ) in obs.ex3(card)
    card["input_blur"]["sigma_pixels"] = 0.0
    assert obs.ex3(card)[1].endswith("chose no blur of its input.")
