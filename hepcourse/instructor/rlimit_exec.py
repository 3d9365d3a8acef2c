"""Set resource limits, then replace this process with a command (the grading sandbox's kernel).

    python -m hepcourse.instructor.rlimit_exec --address-space BYTES --cpu SECONDS \
        --file-size BYTES -- COMMAND ...

Limits are set as both soft and hard values, so the command cannot raise them again.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rlimit_exec", description=__doc__)
    parser.add_argument("--address-space", type=int, required=True)
    parser.add_argument("--cpu", type=int, required=True)
    parser.add_argument("--file-size", type=int, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given after --")
    for limit, value in ((resource.RLIMIT_AS, args.address_space), (resource.RLIMIT_CPU, args.cpu),
                         (resource.RLIMIT_FSIZE, args.file_size), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(limit, (value, value))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
