import pytest

from spf_analysis.report.prose import number_word


@pytest.mark.parametrize("n,word", [(0, "zero"), (3, "three"), (7, "seven"), (10, "ten"), (11, "11"),
                                    (1234, "1,234"), (-1, "-1")])
def test_number_word(n, word):
    assert number_word(n) == word
