"""Model options read as the other option words, and switches checked as switches.

``check_model("sevennet-0", backend="SEVENNET")`` was refused as another backend than the
name's own, ``load_model(..., dtype="Float32")`` as a dtype the backend lacks, while every
option word reads any case; ``enable_cueq="False"`` (or ``"no"``) was passed to the backend,
which reads it with ``if enable_cueq:`` and turned the GPU kernels on.
"""

import numpy as np
import pytest

from ase_electrolyte.models import _checked_model, check_model, load_model


@pytest.mark.parametrize("backend", ["SEVENNET", " SevenNet ", "sevennet"])
def test_a_backend_is_read_in_any_case(backend):
    assert check_model("sevennet-0", backend=backend) == "sevennet"


def test_another_backend_in_any_case_is_still_refused_for_a_name():
    with pytest.raises(ValueError, match="is a sevennet model; backend='chgnet'"):
        check_model("sevennet-0", backend="CHGNet")


@pytest.mark.parametrize("flag", ["enable_cueq", "enable_flash", "enable_oeq"])
@pytest.mark.parametrize("value", ["False", "no", "yes", 1, 0, 1.0, [True]], ids=repr)
def test_a_switch_option_that_is_no_bool_is_refused_by_name(flag, value):
    with pytest.raises(ValueError, match=f"{flag} must be True or False"):
        check_model("sevennet-0", **{flag: value})
    with pytest.raises(ValueError, match=f"{flag} must be True or False"):
        load_model("sevennet-0", device="cpu", **{flag: value})


@pytest.mark.parametrize("value, passed", [(True, True), (False, False), (np.True_, True),
                                           (np.False_, False)], ids=repr)
def test_a_switch_reaches_the_backend_as_a_plain_bool(value, passed):
    options = {"enable_cueq": value}
    _checked_model("sevennet-0", None, options)
    assert options["enable_cueq"] is passed


@pytest.mark.parametrize("dtype", ["FLOAT64", " Float64 ", "float64"])
def test_a_dtype_word_is_read_in_any_case_before_the_backends_dtypes(dtype):
    # sevennet takes None or float32: the error names the word as read, not another spelling
    with pytest.raises(ValueError, match="dtype='float64' is not available for the sevennet"):
        load_model("sevennet-0", device="cpu", dtype=dtype)
