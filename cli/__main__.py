"""`python -m cli`, and the `credits` command that pyproject.toml's [project.scripts] installs."""

from __future__ import annotations

from cli.commands import app


def main() -> None:
    app(prog_name="credits")


if __name__ == "__main__":
    main()
