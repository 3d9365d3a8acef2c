"""What the test cells of every exercise share: the "own code" guard and the stderr policy.

**Own code, not the reference.** The exercises ask students to write functions that hepcourse
also has (the graders compare with them). A hidden test runs the student's function through
`own_code`, which disables the reference functions *for the duration of the call* by swapping
their code objects: the student's function then fails if it calls a reference, however it
reached it (imported under another name, through the module, a lambda or functools.partial),
and runs normally otherwise. Merely importing a reference (to compare with it while working)
costs nothing; only using it to produce the graded answer does.

    import hepcourse.physics.jets.images as _reference
    from hepcourse.instructor.guards import own_code

    _call_without_reference = own_code((_reference, ("centre", "rotate")))
    mine = _call_without_reference(centre, pt, eta, phi)

**Warnings do not cost points.** nbgrader scores a graded cell 0 when it writes anything to
stderr, so a correct answer that merely warns (a RuntimeWarning of numpy, an OptimizeWarning
of scipy, TensorFlow's C++ log) would lose its points. Every exercise's locked setup cell calls
`stderr_as_output()`: from then on, what the notebook writes to stderr (Python warnings, prints
to sys.stderr and the C/C++ libraries' writes to file descriptor 2) is shown as ordinary output,
so students still see it, and only an exception fails a test. `hepcourse check-source` checks
that every exercise does so.

**Exploration is not graded.** `being_graded()` is true while nbgrader's autograder runs the
notebook (``hepcourse grade`` sets ``NBGRADER_EXECUTION=autograde`` in the kernel, as nbgrader
does): an exercise puts costly exploration (for example trial compilations) under
``if not being_graded():`` so that grading runs only what is graded.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any, Callable, Sequence

__all__ = ["being_graded", "own_code", "stderr_as_output", "STDERR_POLICY_CALL"]

# what check-source looks for in an exercise's setup cell
STDERR_POLICY_CALL = "stderr_as_output()"


def _forbidden_code(message: str) -> types.CodeType:
    """A code object without free variables that raises AssertionError(message) when run."""
    namespace: dict = {}
    exec(f"def forbidden(*args, **kwargs):\n    raise AssertionError({message!r})\n", namespace)
    return namespace["forbidden"].__code__


def own_code(*references: tuple[types.ModuleType, Sequence[str]], what: str | None = None) -> Callable[..., Any]:
    """A function ``call(function, *args, **kwargs)`` that runs a student's ``function`` with the
    named reference functions of each ``(module, names)`` pair disabled.

    ``what`` names the references in the message (default: the modules' names). The references
    are restored after the call, also when it raises.
    """
    if not references:
        raise ValueError("own_code needs at least one (module, names) pair")
    what = what or ", ".join(dict.fromkeys(module.__name__ for module, _ in references))
    functions = {}
    for module, names in references:
        for name in names:
            function = getattr(module, name)
            if not isinstance(function, types.FunctionType) or function.__code__.co_freevars:
                raise TypeError(f"{module.__name__}.{name} is not a plain Python function; own_code cannot disable it")
            functions[id(function)] = function
    forbidden = _forbidden_code(f"this task must be solved by your own code, not by calling {what}")

    def call(function, *args, **kwargs):
        saved = {key: f.__code__ for key, f in functions.items()}
        try:
            for f in functions.values():
                f.__code__ = forbidden
            return function(*args, **kwargs)
        finally:
            for key, f in functions.items():
                f.__code__ = saved[key]

    return call


def stderr_as_output() -> None:
    """Show everything this kernel writes to stderr from now on as ordinary (stdout) output.

    Python warnings and prints to ``sys.stderr`` go to ``sys.stdout``; file descriptor 2 (where
    C and C++ libraries such as TensorFlow write their logs) is pointed at file descriptor 1.
    Called once, in an exercise's locked setup cell.
    """
    sys.stderr = sys.stdout
    try:
        sys.stdout.flush()
        os.dup2(1, 2)
    except (OSError, ValueError):  # no real descriptors (an embedded interpreter): Python level only
        pass


def being_graded() -> bool:
    """True while nbgrader's autograder executes this notebook (not in JupyterLab, not in Validate)."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"
