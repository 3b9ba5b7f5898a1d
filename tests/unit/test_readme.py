"""README states figures that live elsewhere; these hold them to their one source."""

from __future__ import annotations

import re
import tomllib

from emulator.template import ROOT, TEMPLATE_PATH, load_stack, load_yaml

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(heading: str) -> str:
    start = README.index(f"\n{heading}\n")
    following = re.search(r"\n#{1,3} ", README[start + len(heading) + 2 :])
    return README[start : start + len(heading) + 2 + (following.start() if following else len(README))]


def test_the_throttle_table_gives_every_route_the_stages_figures() -> None:
    # Given the stage's throttle as the template sets it (one setting for every method: a bucket per route)
    template = load_yaml(TEMPLATE_PATH)
    (setting,) = template["Resources"]["CreditApi"]["Properties"]["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    rate = template["Parameters"]["ApiThrottlingRateLimit"]["Default"]
    burst = template["Parameters"]["ApiThrottlingBurstLimit"]["Default"]

    # When README's table is read
    rows = re.findall(r"^\| `(\w+) (/\S+)` \| (\d+) \| (\d+) \|$", _section("### Throttling, per route"), re.M)

    # Then it names every route once, each with the default rate and burst
    assert sorted((method, path) for method, path, _, _ in rows) == sorted(
        (route.method, route.path) for route in load_stack().routes
    )
    assert {(int(row_rate), int(row_burst)) for _, _, row_rate, row_burst in rows} == {(int(rate), int(burst))}
    assert f"({len(rows) * int(rate)} requests/s)" in _section("### Throttling, per route")


def test_readme_reads_the_stack_samconfig_deploys() -> None:
    stack_name = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))["default"]["global"][
        "parameters"
    ]["stack_name"]

    described = re.findall(r"describe-stacks --stack-name (\S+)", README)

    assert described
    assert set(described) == {stack_name}
