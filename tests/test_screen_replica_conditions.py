"""The conditions every replica of a row ran under: all recorded, and the set ones.

A folder where tasks of an earlier version (no measured temperature, no box) sit beside new
ones took the temperature and the cube of the new replicas for all of them: one replica that
recorded a cube beside four that recorded nothing gave a Yeh–Hummer corrected D marked valid,
corrected with that one replica's temperature. Now the row's ``measured_temperature_K`` is the
mean only where every replica recorded one, ``box_shape`` says how many recorded no box, and
the comparison names it and leaves the row out.

A replica whose thermostat did not hold the temperature (its measured production mean tens of
kelvin from the set one) was averaged into the row of the set temperature, valid. Now a replica
more than 3 % and 4 standard errors away is named in every row of its composition and
temperature, which is not valid; a correct thermostat's small offset, or a noisy short run's,
is not."""

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder  # noqa: E402
from test_screen_finite_size_diffusion import _replica, _run  # noqa: E402
from test_screen_yeh_hummer_conditions import _compared  # noqa: E402

from ase_electrolyte.screen import aggregate, task_table  # noqa: E402
from ase_electrolyte.screen.aggregate import TEMPERATURE_TOLERANCE  # noqa: E402


def _old(c, r):
    """The ``simulation`` record of a task of an earlier version: neither temperature nor box."""
    return {}


@pytest.mark.parametrize("new", [{0}, {0, 1, 2, 3}])
def test_replicas_of_an_earlier_version_beside_new_ones_are_not_corrected(tmp_path, new):
    table, comparison = _compared(tmp_path, lambda c, r: _run(c, r) if r in new else _old(c, r))
    n_old = 5 - len(new)
    assert set(table["box_shape"]) == {f"not recorded by {n_old}/5 replicas"}
    # the mean temperature of the new replicas is not that of the five the rows average
    assert table["measured_temperature_K"].isna().all()
    # the table's own numbers (the periodic box's) stay valid
    assert table.loc[table["property"] == "D_Li", "valid"].all()
    assert len(comparison) == 2 and not comparison["valid"].any()
    assert comparison["finite_size_correction"].isna().all()
    assert (comparison["mean"] == comparison["mean_periodic_box"]).all()
    for verdict in comparison["verdict"]:
        assert f"its box was not recorded by {n_old}/5 replicas" in verdict, verdict
        assert "earlier version" in verdict
    errors = pd.read_csv(tmp_path / "errors.csv").iloc[0]
    assert (errors["n"], errors["n_excluded"]) == (0, 2)


def test_a_temperature_recorded_by_some_replicas_only_is_not_used(tmp_path):
    def record(c, r):
        run = _run(c, r)
        return run if r != 2 else {"cell": run["cell"]}

    table, comparison = _compared(tmp_path, record)
    assert set(table["box_shape"]) == {"cubic"}
    assert table["measured_temperature_K"].isna().all()
    assert not comparison["valid"].any()
    assert comparison["verdict"].str.contains("recorded no measured temperature").all()


def test_every_replica_recording_its_conditions_is_still_corrected(tmp_path):
    table, comparison = _compared(tmp_path, _run)
    assert set(table["box_shape"]) == {"cubic"} and comparison["valid"].all()
    rows, _ = task_table(tmp_path)
    # each replica's temperature comes with its standard error
    assert set(rows["measured_temperature_error_K"]) == {0.5}


def _ran_at(hot, temperature, stderr=0.5):
    """Replica ``hot`` of concentration 3.0 ran at ``temperature`` (K, its mean's error
    ``stderr``); the others near the set 300 K."""
    def record(c, r):
        run = _run(c, r)
        if c == 3.0 and r == hot:
            run["temperature"] = {**run["temperature"], "value": temperature,
                                  "stderr": stderr}
        return run
    return record


def test_a_replica_that_ran_at_another_temperature_makes_its_rows_not_valid(tmp_path):
    _folder(tmp_path, lambda c, r: _replica(r), replicas=5, simulation=_ran_at(2, 360.0))
    table = aggregate(tmp_path, plots=False)
    hot = table[table["concentration"] == 3.0]
    assert len(hot) == 4 and not hot["valid"].any()
    for verdict in hot["verdict"]:
        assert "replica(s) r2 ran at 360 K, not the set 300 K" in verdict, verdict
    # the numbers are still given (with the reason), and the other composition is untouched
    assert hot["mean"].notna().all()
    cool = table[table["concentration"] == 4.0]
    assert cool["valid"].all() and (cool["verdict"] == "valid").all()


@pytest.mark.parametrize("temperature, stderr", [
    # a correct thermostat's mean: within the tolerance (here 2 %, 12 errors off)
    (306.0, 0.5),
    # 10 % off in a short noisy run: within 4 of its errors, not evidence of another temperature
    (330.0, 8.0),
    # no error recorded: a mean whose noise is unknown is not judged
    (360.0, None),
    # a mean its own estimate calls not valid (a 5 fs run: 4 independent samples) neither
    (366.0, "not valid"),
])
def test_a_temperature_within_tolerance_or_noise_is_not_refused(tmp_path, temperature, stderr):
    def record(c, r):
        run = _ran_at(1, temperature, stderr)(c, r)
        if c == 3.0 and r == 1 and stderr is None:
            del run["temperature"]["stderr"]
        if c == 3.0 and r == 1 and stderr == "not valid":
            run["temperature"].update(stderr=0.5, converged=False, verdict="too short")
        return run

    _folder(tmp_path, lambda c, r: _replica(r), replicas=5, simulation=record)
    table = aggregate(tmp_path, plots=False)
    assert table["valid"].all(), table["verdict"].tolist()
    if stderr is not None:  # an error the test gave but the table does not take is NaN
        rows, _ = task_table(tmp_path)
        hot = rows[(rows["concentration"] == 3.0) & (rows["replica"] == 1)]
        assert hot["measured_temperature_error_K"].isna().all() == (stderr == "not valid")


@pytest.mark.parametrize("side, refused", [(-1, False), (1, True)])
def test_the_tolerance_is_the_boundary(tmp_path, side, refused):
    # 3 of 3N degrees of freedom in 70 atoms (1.4 %) must not refuse a correct run
    assert 3 / (3 * 70) < TEMPERATURE_TOLERANCE <= 0.05
    temperature = 300.0 * (1 + TEMPERATURE_TOLERANCE) + side * 0.05
    _folder(tmp_path, lambda c, r: _replica(r), replicas=5,
            simulation=_ran_at(0, temperature, stderr=0.01))
    table = aggregate(tmp_path, plots=False)
    assert (~table.loc[table["concentration"] == 3.0, "valid"]).all() == refused
    assert table.loc[table["concentration"] == 4.0, "valid"].all()


def test_a_replica_below_the_set_temperature_is_refused_too(tmp_path):
    _folder(tmp_path, lambda c, r: _replica(r), replicas=5, simulation=_ran_at(4, 280.0))
    table = aggregate(tmp_path, plots=False)
    hot = table[table["concentration"] == 3.0]
    assert not hot["valid"].any()
    assert hot["verdict"].str.contains("r4 ran at 280 K, not the set 300 K").all()
