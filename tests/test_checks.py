"""convbook.book.check: a claim, two values and where the expected one comes from."""

from __future__ import annotations

import numpy as np
import pytest

from convbook.book import BASES, ClaimError, check, check_range


def test_the_check_line_names_its_basis(capsys):
    check("two and two make four", 2 + 2, 4, basis="identity: arithmetic")
    assert capsys.readouterr().out.strip().endswith("[identity: arithmetic]")


@pytest.mark.parametrize("function, args", [(check, ("x", 1, 1)), (check_range, ("x", 1.0, 0.0, 2.0))])
def test_a_check_without_a_basis_is_refused(function, args):
    with pytest.raises(TypeError, match="basis"):
        function(*args)


@pytest.mark.parametrize("basis", ["", "because", "loops", 3, None])
def test_an_unknown_basis_is_a_value_error_naming_the_argument_and_the_kinds(basis):
    with pytest.raises(ValueError, match=r"check: basis must start with one of loop, published"):
        check("x", 1, 1, basis=basis)


def test_every_kind_is_accepted_with_or_without_a_detail(capsys):
    for kind in BASES:
        check("one is one", 1, 1, basis=kind)
        check("one is one", 1, 1, basis=f"{kind}: detail")
    assert capsys.readouterr().out.count("✓ checked") == 2 * len(BASES)


def test_a_false_claim_still_fails_with_its_basis_given():
    with pytest.raises(ClaimError, match="claim does not hold: arrays differ"):
        check("arrays differ", np.arange(3), np.arange(1, 4), basis="loop")
