"""The ball-flight model: CaddieSet's features from our poses, the shipped ONNX ensembles, the
data's advice, and (on ../shared/data) the cross-validated figures the model card states."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from swingcoach.analysis.ballflight import (
    CLUBS,
    CURVE_NAMES,
    MIN_CARRY_GAIN_M,
    TARGETS,
    BallFlightModel,
    ball_flight,
    curve_class,
    out_of_range,
)
from swingcoach.analysis.caddieset import FEATURES, caddieset_features
from swingcoach.analysis.swing import analyze_swing
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.swing.events import RuleEventDetector


def standing_pose() -> np.ndarray:
    """Face on, right-handed: the lead (left) side is image-right; y down, pixels."""
    p = np.zeros((17, 2))
    p[K.NOSE] = p[K.L_EYE] = p[K.R_EYE] = p[K.L_EAR] = p[K.R_EAR] = (100, 20)
    p[K.L_SHOULDER], p[K.R_SHOULDER] = (120, 50), (80, 50)
    p[K.L_ELBOW], p[K.R_ELBOW] = (120, 80), (80, 80)
    p[K.L_WRIST], p[K.R_WRIST] = (120, 110), (80, 110)
    p[K.L_HIP], p[K.R_HIP] = (110, 110), (90, 110)
    p[K.L_KNEE], p[K.R_KNEE] = (125, 150), (75, 150)
    p[K.L_ANKLE], p[K.R_ANKLE] = (130, 190), (70, 190)
    return p


def test_caddieset_features_read_the_geometry_they_name() -> None:
    frames = np.repeat(standing_pose()[None], 8, axis=0)
    frames[5, :, 0] += 8.0  # the whole body 8 px (0.2 shoulder widths) toward the target at impact
    frames[5, K.R_SHOULDER, 1] += 40.0  # trail shoulder 40 px lower over a 40 px wide line: 45°
    features = caddieset_features(frames, tuple(float(i) for i in range(8)), "face-on")
    assert set(features) == set(FEATURES["face-on"])
    assert features["0-STANCE-RATIO"] == pytest.approx(60 / 40, abs=1e-3)  # stance over shoulder width
    assert features["0-SHOULDER-ANGLE"] == pytest.approx(0.0, abs=1e-3)
    assert features["5-SHOULDER-ANGLE"] == pytest.approx(45.0, abs=1e-3)
    assert features["1-LEFT-ARM-ANGLE"] == pytest.approx(180.0, abs=1e-3)
    assert features["5-HIP-SHIFTED"] == pytest.approx(0.2, abs=1e-3)
    assert features["5-HEAD-LOC"] == pytest.approx(0.2, abs=1e-3)
    assert features["1-HIP-SHIFTED"] == pytest.approx(0.0, abs=1e-3)
    # Lead shoulder 10 px behind the lead ankle over a 60 px stance.
    assert features["1-SHOULDER-LOC"] == pytest.approx(100 * 10 / 60, abs=1e-3)
    assert features["4-HIP-HANGING-BACK"] == pytest.approx(20 / 60, abs=1e-3)
    # Lead hip 20 px trail-side of the lead ankle and 80 px above it.
    assert features["6-WEIGHT-SHIFT"] == pytest.approx(180 - np.degrees(np.arctan2(80, 20)), abs=1e-3)


def test_curve_classes_follow_the_spin_axis() -> None:
    names = [CURVE_NAMES[i] for i in curve_class(np.array([-30.0, -8.0, 0.0, 8.0, 30.0]))]
    assert names == ["hook", "draw", "straight", "fade", "slice"]


@pytest.mark.parametrize("view", list(FEATURES))
def test_the_shipped_onnx_reproduces_the_fitted_ensemble(view: str) -> None:
    model = BallFlightModel.shipped()
    spec = model.card["views"][view]
    assert set(spec["features"]) <= set(FEATURES[view])  # type: ignore[index]
    for example in spec["examples"]:
        row = model.row(view, example["features"])  # type: ignore[arg-type]
        predicted = model.predict_rows(view, row, example["club"])[0]  # type: ignore[arg-type]
        # float32 inputs in ONNX against float64 in scikit-learn: a few mm of carry.
        np.testing.assert_allclose(predicted, example["predicted"], rtol=1e-3, atol=0.05)


def test_the_card_states_leave_one_golfer_out_figures() -> None:
    model = BallFlightModel.shipped()
    for view in FEATURES:
        cv = model.card["views"][view]["cross_validation"]
        assert cv["golfers"] == 8 and cv["swings"] > 800
        for name in ("club_mean", "linear", "forest"):
            assert set(cv[name]) == {f"{t}_mae" for t in TARGETS} | {
                "curve_accuracy",
                "direction_sign_accuracy",
            }
        error, club_only = model.carry_errors(view)  # type: ignore[arg-type]
        assert model.supported(view) == (error <= 0.97 * club_only)  # type: ignore[arg-type]


@pytest.mark.parametrize("view", list(FEATURES))
def test_data_advice_moves_one_feature_toward_better_swings(view: str) -> None:
    model = BallFlightModel.shipped()
    spec = model.card["views"][view]
    given = 0
    for example in spec["examples"]:
        for club in CLUBS:
            advice = model.advice(view, example["features"], club)  # type: ignore[arg-type]
            assert len(advice) <= 3 and len({a.feature for a in advice}) == len(advice)
            ranges = spec["better_swings"][club]
            for a in advice:
                assert a.carry_gain_m >= MIN_CARRY_GAIN_M
                assert a.target in ranges[a.feature] and a.target != a.value
                assert f"{a.carry_gain_m:.0f} m more carry" in a.text
            given += len(advice)
    # The counterfactual search is exercised whether or not the view's figures let it speak.
    assert given > 0


def test_every_swing_report_says_what_the_data_supports(demo_poses: PoseSequence) -> None:
    report = analyze_swing(demo_poses, RuleEventDetector()).report
    flight = report.ball_flight
    assert flight is not None and flight.club == "driver" and flight.in_domain and flight.unit == "m"
    assert flight.curve == CURVE_NAMES[int(curve_class(np.array([flight.spin_axis_deg]))[0])]
    assert 100 < flight.carry < flight.distance < 320
    cv = BallFlightModel.shipped().card["views"]["down-the-line"]["cross_validation"]["forest"]
    assert (
        flight.uncertainty.carry == cv["Carry_mae"]
        and flight.uncertainty.direction_deg == cv["DirectionAngle_mae"]
    )
    assert set(flight.features) == set(FEATURES["down-the-line"])
    model = BallFlightModel.shipped()
    assert flight.supported == model.supported("down-the-line")
    if not flight.supported:
        assert flight.advice == [] and "no advice from data" in flight.note


def test_a_camera_between_the_views_is_outside_the_domain(demo_poses: PoseSequence) -> None:
    analysis = analyze_swing(demo_poses, RuleEventDetector())
    body, events = analysis.measured.body, analysis.events
    flight = ball_flight(body.keypoints, events.positions, "down-the-line", "other", "7-iron")
    assert not flight.in_domain and not flight.supported and flight.advice == []
    assert flight.domain_note is not None and "does not know this angle" in flight.domain_note
    # A posture far outside CaddieSet's (every feature scaled tenfold) is said to be unknown too.
    features = {k: None if v is None else 10 * v for k, v in flight.features.items()}
    assert out_of_range(BallFlightModel.shipped(), "down-the-line", features) > 0.5


def test_the_club_changes_the_flight(demo_poses: PoseSequence) -> None:
    driver = analyze_swing(demo_poses, RuleEventDetector()).report
    iron = analyze_swing(demo_poses, RuleEventDetector(), club="9-iron").report
    assert driver.ball_flight is not None and iron.ball_flight is not None
    assert iron.ball_flight.club == "9-iron" and iron.ball_flight.carry < driver.ball_flight.carry - 20
    assert iron.comparison is not None and "iron" in iron.comparison.reference


def test_the_same_keypoints_give_the_same_flight(demo_poses: PoseSequence) -> None:
    first = analyze_swing(demo_poses, RuleEventDetector()).report.ball_flight
    second = analyze_swing(demo_poses, RuleEventDetector()).report.ball_flight
    assert first == second


@pytest.mark.data
def test_cross_validated_figures_are_reproduced(shared_data: Path) -> None:
    pytest.importorskip("sklearn", reason="needs the train extra")
    from swingcoach.bench.ballflight import run_ballflight_bench

    result = run_ballflight_bench(shared_data)
    assert result["protocol"] == "leave-one-golfer-out" and result["swings"] == 1757
    assert {"carry_mae", "direction_mae_deg", "curve_accuracy", "baselines", "paper"} <= set(result)
    assert set(result["baselines"]) == {"club_mean", "linear", "majority_curve"}
    card = BallFlightModel.shipped().card
    for view, figures in result["views"].items():
        shipped = card["views"][view]["cross_validation"]
        for name in ("club_mean", "linear", "forest"):
            for key, value in shipped[name].items():
                assert figures["cross_validation"][name][key] == pytest.approx(value, rel=0.02, abs=0.02)
        used = [f for f, a in figures["feature_agreement"]["features"].items() if a["used"]]
        assert used == card["views"][view]["features"]
    # Stated in the model card: carry error left one golfer out (m), per view.
    face_on, down_the_line = (result["views"][v]["cross_validation"] for v in ("face-on", "down-the-line"))
    assert face_on["club_mean"]["Carry_mae"] == pytest.approx(21.58, abs=0.01)
    assert face_on["forest"]["Carry_mae"] == pytest.approx(21.8, abs=0.5)
    assert down_the_line["club_mean"]["Carry_mae"] == pytest.approx(20.93, abs=0.01)
    assert down_the_line["forest"]["Carry_mae"] == pytest.approx(20.75, abs=0.5)
