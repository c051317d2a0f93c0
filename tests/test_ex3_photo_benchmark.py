"""The photo benchmark's renderer and bookkeeping (the benchmark itself is run by the workflow)."""

import json
from dataclasses import replace

import cv2
import numpy as np
import pandas as pd
import pytest

from digitstudy.ex3 import photo_benchmark as bench
from digitstudy.ex3 import photo_simulator as sim
from digitstudy.ex3.outputs import write_benchmark, write_rendered
from digitstudy.ex3.preprocess import decode_gray, preprocess_gray
from tests.keras_models import constant_model


def _run(
    model,
    sources,
    per_condition,
    seed=0,
    conditions=bench.CONDITIONS,
    threads=1,
    unsure_below=0.0,
    combined=None,
    non_digits=None,
):
    """render_benchmark, then score: the whole benchmark in one call."""
    rendered = bench.render_benchmark(sources, per_condition, seed, conditions, threads, combined, non_digits)
    return bench.score(model, rendered, None, unsure_below)


def _digit(text="3"):
    """A 28x28 white-on-black digit, as the benchmark's sources are."""
    image = np.zeros((28, 28), np.uint8)
    cv2.putText(image, text, (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    return image


def _similar(a, b):
    return float(np.corrcoef(a.astype(np.float64).ravel(), b.astype(np.float64).ravel())[0, 1])


@pytest.mark.parametrize("condition", bench.CONDITIONS, ids=lambda c: c.name)
def test_every_condition_renders_a_photo_that_reads_back(condition):
    digit = _digit()
    photo = condition.photo
    for attribute, values in condition.vary.items():
        photo = replace(photo, **{attribute: values[0]})
    encoded = sim.render(digit, photo, np.random.default_rng(0))
    assert encoded[:2] == b"\xff\xd8"  # a JPEG file, as phones write
    gray = decode_gray(encoded)
    assert max(gray.shape) == photo.size and gray.shape[0] > gray.shape[1]  # upright portrait
    result = preprocess_gray(gray)
    assert result.image is not None
    assert _similar(result.image, preprocess_gray(digit).image) > 0.6


def test_exif_flag_is_stored_and_undone():
    upright = np.zeros((40, 30, 3), np.uint8)
    upright[:10] = 255  # a light band at the top
    for flag in (1, 3, 6, 8):
        gray = decode_gray(sim.encode_jpeg(upright, 95, flag))
        assert gray.shape == (40, 30) and gray[:8].mean() > 200 and gray[12:].mean() < 40


def test_rendering_is_deterministic_for_a_seed():
    photo = sim.Photo(texture=10.0, shadow=0.4, lines="grid")
    first = sim.render(_digit(), photo, np.random.default_rng(5))
    assert first == sim.render(_digit(), photo, np.random.default_rng(5))
    assert first != sim.render(_digit(), photo, np.random.default_rng(6))


def test_conditions_render_side_by_side_as_they_do_one_after_the_other():
    images = np.stack([_digit(str(d)) for d in (3, 1, 7)])
    conditions = [c for c in bench.CONDITIONS if c.name in ("clean", "cast shadow", "grid paper", "jpeg")]
    seen = []

    class Recorder:  # records what the model is shown
        input_shape, output_shape = (None, 28, 28, 1), (None, 10)

        def predict(self, x, **_):
            seen.append(np.asarray(x).copy())
            return np.full((len(x), 10), 0.1, np.float32)

    sources = {"fixture": (images, np.array([3, 1, 7]))}
    one = _run(Recorder(), sources, per_condition=3, conditions=conditions, combined=4, non_digits=1)
    alone, seen[:] = list(seen), []
    two = _run(Recorder(), sources, per_condition=3, conditions=conditions, threads=2, combined=4, non_digits=1)
    assert len(alone) == len(seen) == 1 and len(alone[0]) == 3 * len(conditions) + 3 + len(sim.NON_DIGITS)
    np.testing.assert_array_equal(alone[0], seen[0])
    pd.testing.assert_frame_equal(one.per_condition, two.per_condition)
    pd.testing.assert_frame_equal(one.non_digits, two.non_digits)
    assert (
        list(one.examples)
        == list(two.examples)
        == [c.name for c in conditions] + [bench.COMBINED, f"no digit: {bench.EXAMPLE_NON_DIGIT}"]
    )


def test_accuracy_per_condition_and_summary(tmp_path):
    labels = np.array([3, 3, 1, 3])
    images = np.stack([_digit(str(d)) for d in labels])
    conditions = [c for c in bench.CONDITIONS if c.name in ("clean", "exif rotation", "size 40 px")]
    summary = write_benchmark(
        constant_model(3), {"fixture": (images, labels)}, tmp_path, per_condition=4, combined=4, non_digits=1
    )
    # A model that always answers 3 is right on the three 3s of every condition.
    table = json.loads((tmp_path / "summary.json").read_text())
    assert summary == table
    assert summary["images"] == 4 * len(bench.CONDITIONS) + 4
    assert summary["overall_accuracy"] == pytest.approx(0.75) and summary["combined"]["images"] == 4
    assert set(summary["accuracy_by_condition"]) == {c.name for c in bench.CONDITIONS}
    assert summary["non_digit"]["images"] == len(sim.NON_DIGITS)
    assert summary["timing"]["image_size"] == [4000, 3200] and summary["timing"]["decode_and_preprocess_seconds"] > 0
    assert (tmp_path / "conditions.csv").is_file() and (tmp_path / "examples.png").is_file()
    written = pd.read_csv(tmp_path / "conditions.csv")
    assert list(written.columns) == bench.DIGIT_COLUMNS and written.condition.iloc[-1] == bench.COMBINED
    result = _run(
        constant_model(1),
        {"fixture": (images, labels)},
        per_condition=4,
        conditions=conditions,
        combined=0,
        non_digits=0,
    )
    assert result.per_condition.accuracy.tolist() == [0.25, 0.25, 0.25] and result.combined is None
    assert "| exif rotation | 0.7500 |" in bench.summary_markdown(summary)


def test_rendering_saved_and_scored_later_gives_the_whole_benchmark(tmp_path):
    # The workflow renders while the recogniser trains, and scores once the model exists.
    labels = np.array([3, 1, 7, 3])
    images = np.stack([_digit(str(d)) for d in labels])
    sources = {"fixture": (images, labels), "second": (images[:2], labels[:2])}
    conditions = [c for c in bench.CONDITIONS if c.name in ("clean", "blur", "exif rotation")]
    rendered = bench.render_benchmark(sources, per_condition=3, seed=4, conditions=conditions, combined=2, non_digits=1)
    digit_blocks = 2 * (len(conditions) + 1)
    assert len(rendered.blocks) == digit_blocks + len(sim.NON_DIGITS)
    assert len(rendered.labels) == 3 * 3 + 2 * 3 + 2 * 2 + len(sim.NON_DIGITS)
    write_rendered(rendered, tmp_path / "rendered.npz", tmp_path / "examples.png")
    assert (tmp_path / "examples.png").stat().st_size > 10_000
    loaded = bench.RenderedBenchmark.load(tmp_path / "rendered.npz")
    pd.testing.assert_frame_equal(loaded.blocks, rendered.blocks)
    for name in ("block", "inputs", "found", "labels", "inverted", "drawn", "fidelity"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(rendered, name))
    assert loaded.seed == rendered.seed == 4 and loaded.drawn_names == rendered.drawn_names
    later = bench.score(constant_model(3), loaded, unsure_below=0.5)
    whole = _run(
        constant_model(3),
        sources,
        per_condition=3,
        seed=4,
        conditions=conditions,
        combined=2,
        non_digits=1,
        unsure_below=0.5,
    )
    pd.testing.assert_frame_equal(later.per_condition, whole.per_condition)
    pd.testing.assert_frame_equal(later.non_digits, whole.non_digits)
    assert later.per_condition.images.tolist() == [3] * 3 + [2] + [2] * 3 + [2]
    # One 3 among the first three digits of each source, and among the first two.
    assert later.per_condition.correct.tolist() == [1] * 3 + [1] + [1] * 3 + [1]


def test_combined_photos_draw_several_conditions_of_different_groups():
    from digitstudy.ex3.photo_simulator import COMBINABLE, COMBINABLE_GROUPS, draw_combined

    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        photo, names = draw_combined(rng)
        assert 3 <= len(names) <= 5 and list(names) == [n for n in COMBINABLE if n in names]
        assert all(sum(n in group for n in names) <= 1 for group in COMBINABLE_GROUPS)
        seen.update(names)
        if "shadow across the digit" in names:
            assert photo.shadow >= 0.3 and abs(photo.shadow_at) <= 0.6
        if "shadowed margin" in names:
            assert photo.shadow_at >= 1.2
        if "grey paper" in names:
            assert max(photo.paper) < 0.9 * 240
    assert seen == set(COMBINABLE)
    again = [draw_combined(np.random.default_rng(7)) for _ in range(2)]
    assert again[0] == again[1]


@pytest.mark.parametrize("shadow_at, over_digit", [(0.0, True), (1.5, False)])
def test_shadow_edge_is_placed_through_the_digit_or_beside_it(shadow_at, over_digit):
    from digitstudy.ex3.photo_simulator import _draw_light, _light, _Placement

    photo = sim.Photo(shadow=0.5, shadow_at=shadow_at, shadow_edge=0.005)
    place = _Placement(centre_y=200, centre_x=160, half_height=100, half_width=60, sheet_left=0, sheet_right=320)
    for seed in range(10):
        light = _light(photo, _draw_light(photo, np.random.default_rng(seed)), 400, 320, place)
        digit = light[100:300, 100:220]
        assert light.min() < 0.55  # the shadow is in the frame
        assert bool(digit.min() < 0.55) == over_digit  # and darkens part of the digit, or none of it


@pytest.mark.parametrize("kind", list(sim.NON_DIGITS))
def test_photos_without_a_digit_render(kind):
    photo = sim.draw_non_digit(kind, np.random.default_rng(1))
    encoded = sim.render(None, photo, np.random.default_rng(2))
    assert encoded == sim.render(None, photo, np.random.default_rng(2))
    gray = decode_gray(encoded)
    assert gray.shape == (400, 320) and gray.std() > 0.5


def test_ink_on_grey_paper_stays_darker_than_the_paper():
    grey = tuple(sim.PAPER * 0.6)
    pencil = sim.Photo(ink=tuple(sim.PENCIL), paper=grey, jpeg_quality=95)
    gray = decode_gray(sim.render(_digit("1"), pencil, np.random.default_rng(0)))
    assert np.percentile(gray, 1) < np.median(gray) - 20


def test_unsure_flags_and_answers_without_a_digit_are_counted():
    """Scoring arithmetic on a hand-made rendering: two digit blocks (one combined) and one
    block without a digit; a model that answers 3 with the confidence it is told."""
    blocks = pd.DataFrame(
        [
            {"source": "s", "condition": "clean", "description": "", "kind": "single"},
            {"source": "s", "condition": bench.COMBINED, "description": "", "kind": bench.COMBINED},
            {"source": bench.NON_DIGIT_SOURCE, "condition": "ink blot", "description": "", "kind": "non-digit"},
        ]
    )
    confidence = np.array([0.99, 0.6, 0.99, 0.99, 0.5, 0.99, 0.99, 0.4])
    images = np.zeros((8, 28, 28), np.uint8)
    images[:, 0, 0] = np.arange(8)  # which photo the model is shown
    drawn = np.zeros((8, len(sim.COMBINABLE)), bool)
    drawn[2:5, 0] = True
    rendered = bench.RenderedBenchmark(
        blocks,
        np.array([0, 0, 1, 1, 1, 2, 2, 2]),
        images,
        found=np.array([1, 1, 1, 0, 1, 1, 0, 1], bool),
        labels=np.array([3, 3, 3, 5, 3, -1, -1, -1]),
        inverted=np.array([0, 0, 1, 0, 0, 0, 0, 0], bool),
        drawn=drawn,
        fidelity=np.array([0.9, 0.4, 0.8, 0.0, 0.7, np.nan, np.nan, np.nan]),
    )

    class Told:
        input_shape, output_shape = (None, 28, 28, 1), (None, 10)

        def predict(self, x, **_):
            first = np.asarray(x).reshape(len(x), -1)[:, 0]
            which = np.rint(first * (255 if first.max() <= 1 else 1)).astype(int)  # inputs may be scaled to 0..1
            p = np.zeros((len(x), 10), np.float32)
            p[:, 3] = confidence[which]
            p[:, 0] = (1 - confidence[which]) / 2
            return p

    result = bench.score(Told(), rendered, unsure_below=0.55)
    table = result.per_condition.set_index("condition")
    assert table.loc["clean", ["correct", "flagged", "answered", "answered_correct"]].tolist() == [2, 0, 2, 2]
    assert table.loc[
        bench.COMBINED, ["correct", "no_digit", "flagged", "answered", "polarity_inversions"]
    ].tolist() == [2, 1, 1, 1, 1]
    assert table.loc["clean", "like_clean"] == 0.5
    assert result.non_digits.iloc[0][["images", "no_digit", "flagged", "answered"]].tolist() == [3, 1, 1, 1]
    summary = result.summary()
    assert summary["combined"]["flagged_fraction"] == pytest.approx(1 / 3)
    assert summary["combined"]["by_condition"][list(sim.COMBINABLE)[0]]["images"] == 3
    assert summary["non_digit"]["answered"] == 1 and summary["polarity_inversions"] == 1
    assert summary["answered_accuracy"] == 1.0 and summary["unsure_below"] == 0.55


def test_a_rendering_from_an_older_version_is_refused_with_what_to_do(tmp_path):
    np.savez_compressed(
        tmp_path / "rendered.npz",
        block=np.zeros(0, int),
        inputs=np.zeros((0, 28, 28), np.uint8),
        found=np.zeros(0, bool),
        labels=np.zeros(0, int),
        blocks="[]",
        seed=0,
    )
    with pytest.raises(ValueError, match="render it again"):
        bench.RenderedBenchmark.load(tmp_path / "rendered.npz")


def test_command_line_sizes_the_combined_and_non_digit_blocks(tmp_path):
    from pathlib import Path

    from digitstudy.ex3.__main__ import main

    model = tmp_path / "constant.keras"
    constant_model(3).save(model)
    mnist = Path(__file__).parent.parent / ".test/data/mnist_test_200.npz"
    out = tmp_path / "bench"
    assert (
        main(
            [
                "photo-benchmark",
                "--model",
                str(model),
                "--mnist",
                str(mnist),
                "--out",
                str(out),
                "--per-condition",
                "1",
                "--combined",
                "3",
                "--non-digits-per-kind",
                "1",
                "--unsure-below",
                "0.5",
            ]
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["combined"]["images"] == 3
    assert summary["non_digit"]["images"] == len(sim.NON_DIGITS)
    assert summary["images"] == len(bench.CONDITIONS) + 3
