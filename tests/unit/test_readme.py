"""README and docs/ state figures that live elsewhere; these hold them to their one source. README is not a page of
the MkDocs site, whose strict build (make docs) checks the links of docs/: its own links are checked here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from emulator.template import ROOT, TEMPLATE_PATH, load_stack, load_yaml

README_PATH = ROOT / "README.md"
README = README_PATH.read_text(encoding="utf-8")
DOCS = ROOT / "docs"
API_PAGE = (DOCS / "api.md").read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    following = re.search(r"\n#{1,3} ", text[start + len(heading) + 2 :])
    return text[start : start + len(heading) + 2 + (following.start() if following else len(text))]


def test_the_throttle_table_gives_every_route_the_stages_figures() -> None:
    # Given the stage's throttle as the template sets it (one setting for every method: a bucket per route)
    template = load_yaml(TEMPLATE_PATH)
    (setting,) = template["Resources"]["CreditApi"]["Properties"]["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    rate = template["Parameters"]["ApiThrottlingRateLimit"]["Default"]
    burst = template["Parameters"]["ApiThrottlingBurstLimit"]["Default"]

    # When the API page's table is read
    section = _section(API_PAGE, "## Throttling, per route")
    rows = re.findall(r"^\| `(\w+) (/\S+)` \| (\d+) \| (\d+) \|$", section, re.M)

    # Then it names every route once, each with the default rate and burst
    assert sorted((method, path) for method, path, _, _ in rows) == sorted(
        (route.method, route.path) for route in load_stack().routes
    )
    assert {(int(row_rate), int(row_burst)) for _, _, row_rate, row_burst in rows} == {(int(rate), int(burst))}
    assert f"({len(rows) * int(rate)} requests/s)" in section


def test_the_docs_read_the_stack_samconfig_deploys() -> None:
    stack_name = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))["default"]["global"][
        "parameters"
    ]["stack_name"]

    described = [
        name
        for page in [README_PATH, *sorted(DOCS.glob("*.md"))]
        for name in re.findall(r"describe-stacks --stack-name (\S+)", page.read_text(encoding="utf-8"))
    ]

    assert described
    assert set(described) == {stack_name}


FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _prose(markdown: str) -> str:
    """The text outside fenced blocks and code spans, where a link is a link."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", markdown))


def _anchors(markdown: str) -> set[str]:
    """The anchors of a Markdown file's headings, as GitHub makes them: the text without its Markdown, lowercase,
    anything but letters, digits, `_`, `-` and spaces dropped, spaces to `-`; a repeated one gets -1, -2... (MkDocs
    makes the same, but folds a run of hyphens into one.)"""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", FENCE.sub("", markdown), re.M):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
    return {slug if n == 0 else f"{slug}-{n}" for slug, count in seen.items() for n in range(count + 1)}


def broken_links(page: Path) -> list[str]:
    """Each relative link of a Markdown file whose file does not exist, or whose #anchor is no heading there."""
    broken = []
    for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # https:, mailto: ...: not this repository's
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (linked.suffix != ".md" or anchor not in _anchors(linked.read_text(encoding="utf-8"))):
            broken.append(f"{target}: no such heading in {linked.name}")
    return broken


def test_every_relative_link_of_readme_resolves() -> None:
    assert LINK.findall(_prose(README)), "README links its docs"
    assert broken_links(README_PATH) == []


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    # Given a page linking a file that exists, one that does not, a heading of its own and one it lacks
    (tmp_path / "other.md").write_text("# Other\n\n## A heading: with `code`, punctuation\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#a-heading-with-code-punctuation) [ok](#page) [web](https://example.com/x#y)\n"
        "[gone](missing.md) [no anchor](other.md#a-heading) [self](#nowhere)\n"
        "```sh\n# a comment, not a heading\n[not a link](missing.md)\n```\n",
        encoding="utf-8",
    )

    # When its links are checked, then exactly the three broken ones are reported
    assert [problem.split(":")[0] for problem in broken_links(page)] == [
        "missing.md",
        "other.md#a-heading",
        "#nowhere",
    ]


def test_readme_is_read_in_five_minutes() -> None:
    assert len(README.splitlines()) <= 250


def test_readme_reads_on_to_every_page_of_docs() -> None:
    linked = {(README_PATH.parent / target.partition("#")[0]).resolve() for target in LINK.findall(_prose(README))}
    assert [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked] == []
