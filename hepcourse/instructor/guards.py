"""Guards for hidden tests: a task is solved by the student's own code, not by the reference.

The exercises ask students to write functions that hepcourse also has (the graders compare
with them). A hidden test cell checks that the student's function is their own:

    import hepcourse.physics.jets.images as _reference
    from hepcourse.instructor.guards import own_code

    _call_without_reference = own_code((_reference, ("centre", "rotate")))
    mine = _call_without_reference(centre, pt, eta, phi)

``own_code`` returns a caller that refuses a function that *is* one of the references or
whose module globals hold one (imported under any name), and otherwise calls it with the
references replaced by a function that fails, so that calling them from inside (for example
through the module) fails too. The references are restored afterwards, also when the call
raises.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, Sequence

__all__ = ["own_code"]


def own_code(*references: tuple[ModuleType, Sequence[str]], what: str | None = None) -> Callable[..., Any]:
    """A function ``call(function, *args, **kwargs)`` that runs a student's ``function`` with the
    named reference functions of each ``(module, names)`` pair disabled.

    ``what`` names the references in the messages (default: the modules' names)."""
    if not references:
        raise ValueError("own_code needs at least one (module, names) pair")
    patched = [(module, name) for module, names in references for name in names]
    originals = {(module.__name__, name): getattr(module, name) for module, name in patched}
    what = what or ", ".join(dict.fromkeys(module.__name__ for module, _ in references))

    def _forbidden(*args, **kwargs):
        raise AssertionError(f"this task must be solved by your own code, not by calling {what}")

    def call(function, *args, **kwargs):
        reference_ids = {id(value) for value in originals.values()}
        assert id(function) not in reference_ids and not any(
            id(value) in reference_ids for value in function.__globals__.values() if callable(value)
        ), f"this task must be solved by your own code, not by importing it from {what}"
        try:
            for module, name in patched:
                setattr(module, name, _forbidden)
            return function(*args, **kwargs)
        finally:
            for module, name in patched:
                setattr(module, name, originals[(module.__name__, name)])

    return call
