"""Word error rate: a word-level Levenshtein alignment of a hypothesis against a reference.

Both sides are normalised the same way first (:func:`normalise`), so that formatting an ASR model
chooses does not count as an error:

- lower case; "&" -> "and", "%" -> "percent", "£20" -> "20 pounds", "$20" -> "20 dollars";
- "1,000" -> "1000"; "3.5" -> "3 point 5"; hyphens split words ("twenty-five" -> "twenty five");
- apostrophes are dropped ("don't" -> "dont", "o'clock" -> "oclock"), every other non-alphanumeric
  character is a word break;
- numbers become words as the synthetic calls write them: up to three digits as a cardinal
  ("40" -> "forty", "115" -> "one hundred fifteen", no "and"), four or more digits, or any number with a
  leading zero, digit by digit ("45182" -> "four five one eight two", like order and account numbers);
  "1st"-style ordinals and years are not special.

WER = (substitutions + deletions + insertions) / reference words. An empty reference gives 0.0 for an
empty hypothesis, else 1.0. The alignment is O(len(ref) * len(hyp)) in pure Python: score per turn or per
call (a few hundred words), not whole hours at once; :func:`corpus_wer` sums errors over many pairs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen".split()
ONES += ["seventeen", "eighteen", "nineteen"]
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


class Errors(NamedTuple):
    """Word-level edit counts of a hypothesis against a reference of ``words`` words."""

    substitutions: int
    deletions: int
    insertions: int
    words: int

    @property
    def wer(self) -> float:
        """(S + D + I) / N, with an empty reference scoring 0.0 (empty hypothesis) or 1.0."""
        errors = self.substitutions + self.deletions + self.insertions
        return errors / self.words if self.words else float(errors > 0)


def _cardinal(n: int) -> list[str]:
    """0..999 in words, without "and"."""
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])
    return [ONES[n // 100], "hundred"] + (_cardinal(n % 100) if n % 100 else [])


def _number(digits: str) -> list[str]:
    if len(digits) <= 3 and not (len(digits) > 1 and digits[0] == "0"):
        return _cardinal(int(digits))
    return [ONES[int(d)] for d in digits]


def normalise(text: str) -> list[str]:
    """``text`` as a list of comparable words (see the module docstring for the rules)."""
    text = text.lower().replace("&", " and ").replace("%", " percent ")
    text = re.sub(r"£\s*([\d.,]+)", r"\1 pounds", text)
    text = re.sub(r"\$\s*([\d.,]+)", r"\1 dollars", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<=\d)\.(?=\d)", " point ", text)
    text = re.sub(r"(?<=\w)['’](?=\w)", "", text)
    words: list[str] = []
    for token in re.findall(r"[a-z]+|\d+", text):
        words += _number(token) if token.isdigit() else [token]
    return words


def word_errors(reference: str, hypothesis: str) -> Errors:
    """Substitutions, deletions and insertions of a minimum-edit word alignment of the normalised texts."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    # Each cell: (edits, substitutions, deletions, insertions) aligning ref[:i] with hyp[:j].
    previous = [(j, 0, 0, j) for j in range(len(hyp) + 1)]
    for i, word in enumerate(ref, 1):
        current = [(i, 0, i, 0)]
        for j, said in enumerate(hyp, 1):
            diagonal = previous[j - 1]
            match = diagonal if word == said else (diagonal[0] + 1, diagonal[1] + 1, diagonal[2], diagonal[3])
            up, left = previous[j], current[j - 1]
            deletion = (up[0] + 1, up[1], up[2] + 1, up[3])
            insertion = (left[0] + 1, left[1], left[2], left[3] + 1)
            current.append(min(match, deletion, insertion))
        previous = current
    _, substitutions, deletions, insertions = previous[-1]
    return Errors(substitutions, deletions, insertions, len(ref))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference`` (0.0 is perfect; it can exceed 1.0)."""
    return word_errors(reference, hypothesis).wer


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """WER over many ``(reference, hypothesis)`` pairs: total edits over total reference words."""
    total = Errors(0, 0, 0, 0)
    for reference, hypothesis in pairs:
        total = Errors(*(a + b for a, b in zip(total, word_errors(reference, hypothesis), strict=True)))
    return total.wer
