"""Terminal: the verdict first, then each check's problems in full, then one line per
check without problems; `--verbose` shows every finding with its evidence.

Built from `rich.text.Text` pieces, never from markup strings, so text from DNS
cannot inject markup; clean() removes escapes and bidi controls first. Continuation
lines hang under their text; a record to copy gets a line of its own, never wrapped.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from deliverability.finding import CheckResult, Finding, Report, Severity
from deliverability.lean import dataclass
from deliverability.render.style import COLOURS, ICONS, check_order, shorten, split_record
from deliverability.text import clean
from deliverability.verdict import Problem, Verdict, check_problems, verdict

_STEP = 6  # column where a finding's code, evidence and steps start


def render(report: Report, *, verbose: bool = False, quiet: bool = False) -> RenderableType:
    """The report as a rich renderable for a Console."""
    judged = verdict(report)
    if quiet:
        return Group(*verdict_block(judged))
    parts: list[RenderableType] = []
    if report.kind == "letter":  # `guide`: the letter; the probe results only with --verbose
        from deliverability.render.text import letter_renderable

        if not verbose:
            return letter_renderable(report)
        parts += [letter_renderable(report), Text("")]
    parts += [*verdict_block(judged), Text(""), _header(report)]
    if report.dns_trouble:  # first, so no one reads the unknowns below as the zone's fault
        parts.insert(0, Text(f"! {report.dns_trouble}", style="bold magenta"))
    for check in check_order(report.checks):
        parts += _check(check, verbose)
    if verbose:
        parts.append(_trace(report))
    if report.baseline is not None:
        from deliverability.render.comparison import terminal

        parts.append(terminal(report.baseline))
    parts.append(_footer(report, judged))
    return Group(*parts)


def verdict_block(judged: Verdict) -> list[RenderableType]:
    """Status, the problems to fix first (one line each, what they cause under them), counts."""
    status = judged.status
    head = Text(f"{ICONS[status]} {status.value.upper()}: ", style=COLOURS[status])
    head.append(clean(judged.headline), style="bold")
    parts: list[RenderableType] = [head]
    if judged.problems:
        parts.append(Text("Fix first:", style="bold"))
    for problem, effects in _with_effects(judged):
        parts += _verdict_line(problem, effects)
    parts.append(Text(_counts(judged), style="dim"))
    return parts


def _with_effects(judged: Verdict) -> list[tuple[Problem, list[Problem]]]:
    """Each problem shown on a line of its own, with the effects listed right after it."""
    groups: list[tuple[Problem, list[Problem]]] = []
    for problem in judged.problems:
        if judged.is_effect(problem) and groups:
            groups[-1][1].append(problem)
        else:
            groups.append((problem, []))
    return groups


def _verdict_line(problem: Problem, effects: list[Problem]) -> list[RenderableType]:
    """One line (cut to the width: the report below has the rest), the record to copy on
    its own line, and the problems it causes on one line."""
    before, record, _ = split_record(problem.step)
    line = Text(f"  {ICONS[problem.severity]} ", style=COLOURS[problem.severity])
    line.append(f"{problem.code}  ", style="bold")
    line.append(clean(problem.subject) + (f": {clean(before)}" if before else ""))
    line.no_wrap, line.overflow = True, "ellipsis"
    rows: list[RenderableType] = [line, *_record(record, "", 6)]
    if effects:
        caused = ", ".join(
            p.code + (f" ({len(p.subjects)})" if len(p.subjects) > 1 else "") for p in effects
        )
        rows.append(_hang("      ↳ causes: ", Text(caused), "dim"))
    return rows


def _counts(judged: Verdict) -> str:
    order = ("error", "warning", "unknown", "info", "ok")
    names = {"unknown": "not checked"}
    shown = [f"{judged.counts[s]} {names.get(s, s)}" for s in order if judged.counts.get(s)]
    return "Counts: " + (", ".join(shown) or "no findings")


def _check(check: CheckResult, verbose: bool) -> list[RenderableType]:
    title = Text(f"{ICONS[check.status]} {check.name}", style=COLOURS[check.status])
    if verbose:
        title.append(f"  {check.status}  ({check.duration_ms} ms)", style="dim")
        body = [_finding(f) for f in check.findings]
        return [Text(""), title, *(sum(body, []) or [Text("  nothing to report", style="dim")])]
    problems = check_problems(check)
    if not problems:
        return [_one_line(check, title)]
    if len(problems) == 1 and problems[0].severity is Severity.UNKNOWN:
        return [
            Text(""),
            *_unchecked(check.name, problems[0]),
        ]  # "? dnsbl  9 blocklists not checked"
    title.append(f"  {check.status}", style="dim")
    return [Text(""), title, *(row for p in problems for row in _problem(p))]


def _unchecked(name: str, problem: Problem) -> list[RenderableType]:
    """What could not be checked, in two lines: summary and code, then the step."""
    line = Text(clean(problem.summary))
    line.append(f" · {problem.code}", style="dim")
    lead = f"{ICONS[problem.severity]} {name}  "
    rows: list[RenderableType] = [_hang(lead, line, COLOURS[problem.severity])]
    return rows + ([_hang(" " * _STEP, Text(clean(problem.step)))] if problem.step else [])


def _one_line(check: CheckResult, title: Text) -> Text:
    """A check without problems: its status and its first note, on one line."""
    title.append(f"  {check.status}", style="dim")
    notes = [f for f in check.findings if f.severity is Severity.INFO]
    first = notes[0].summary if notes else ""
    more = f" (+{len(notes) - 1} more)" if len(notes) > 1 else ""
    title.append(f"  {clean(first)}{more}" if first else "", style="dim")
    title.no_wrap, title.overflow = True, "ellipsis"
    return title


def _problem(problem: Problem) -> list[RenderableType]:
    """A folded problem: its summary, code and subjects, the first finding's evidence, steps."""
    finding = problem.findings[0]
    rows: list[RenderableType] = [_summary_line(problem.severity, problem.summary)]
    where = Text(f"{problem.code} · ", style="dim")
    where.append(clean(_subjects(problem.subjects)), style="dim")
    if finding.location:
        where.append(f" · {clean(finding.location.file)}:{finding.location.line}", style="dim")
    if problem.caused_by:
        where.append(f" · caused by {problem.caused_by}", style="dim")
    rows.append(_hang(" " * _STEP, where))
    if len(problem.findings) == 1:
        rows += _evidence(finding)
    return rows + _steps(finding.remediation)


def _finding(finding: Finding) -> list[RenderableType]:
    """Every part of a finding (--verbose): evidence whole but for key-length tokens."""
    rows: list[RenderableType] = [_summary_line(finding.severity, finding.summary)]
    where = Text(f"{finding.code} · ", style="dim")
    where.append(clean(finding.subject), style="dim")
    if finding.location:
        where.append(f" · {clean(finding.location.file)}:{finding.location.line}", style="dim")
    rows.append(_hang(" " * _STEP, where))
    return rows + _evidence(finding) + _steps(finding.remediation)


def _summary_line(severity: Severity, summary: str) -> Hanging:
    return _hang(
        f"  {ICONS[severity]} {severity.value:<7} ", Text(clean(summary)), COLOURS[severity]
    )


def _subjects(subjects: tuple[str, ...]) -> str:
    """Up to four subjects; the rest counted (JSON and --verbose list them all)."""
    shown = ", ".join(subjects[:4])
    return shown + (f" and {len(subjects) - 4} more" if len(subjects) > 4 else "")


def _evidence(finding: Finding) -> list[RenderableType]:
    return [
        _hang(" " * _STEP + "│ ", Text(shorten(clean(e)), style="italic"), "dim")
        for e in finding.evidence
    ]


def _steps(steps: tuple[str, ...]) -> list[RenderableType]:
    rows: list[RenderableType] = []
    for number, step in enumerate(steps, 1):
        before, record, after = split_record(step)
        lead = f"{' ' * _STEP}{number}. "
        rows.append(_hang(lead, Text(clean(before or ("copy:" if record else step)))))
        rows += _record(record, after, len(lead))
    return rows


def _record(record: str, after: str, indent: int) -> list[RenderableType]:
    """The record on its own line, never wrapped (the Console prints it uncropped)."""
    if not record:
        return []
    rows: list[RenderableType] = [
        Text(" " * indent + clean(record), style="bold", no_wrap=True, overflow="ignore")
    ]
    return rows + ([_hang(" " * indent, Text(clean(after)))] if after else [])


def _hang(lead: str, body: Text, style: str = "") -> Hanging:
    return Hanging(lead=Text(lead, style=style), body=body)


@dataclass(frozen=True, kw_only=True)
class Hanging:
    """`lead` then `body` wrapped to the console width, continuation lines indented
    under the body's first line; no trailing spaces (a pasted report stays clean)."""

    lead: Text
    body: Text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        indent = self.lead.cell_len
        lines = self.body.wrap(console, max(options.max_width - indent, 20))
        out = Text(no_wrap=True, overflow="ignore")
        for number, line in enumerate(lines):
            line.rstrip()
            out.append_text(self.lead if number == 0 else Text(" " * indent))
            out.append_text(line)
            out.append("\n" if number < len(lines) - 1 else "")
        yield out


def _header(report: Report) -> Group:
    t = report.target
    title = Text("Deliverability report for ", style="bold")
    title.append(clean(t.title), style="bold cyan")
    details = [f"envelope sender {t.mail_from}"] if t.mail_from else []
    details += [f"IPs {', '.join(t.ips)}"] if t.ips else []
    details += [f"HELO {t.helo}"] if t.helo else []
    details += [f"recipient {t.recipient}"] if t.recipient else []
    return Group(title, _hang("", Text(clean("; ".join(details)), style="dim")))


def _trace(report: Report) -> Table:
    table = Table(title="DNS queries", title_justify="left", show_edge=False)
    for column in ("name", "type", "outcome", "ms"):
        table.add_column(column, justify="right" if column == "ms" else "left")
    for t in report.trace:
        table.add_row(Text(clean(t.name)), t.type, Text(clean(t.outcome)), str(t.ms))
    return table


def _footer(report: Report, judged: Verdict) -> Text:
    """The last line: the status again and the number of problems."""
    status = judged.status
    text = Text(f"\n{ICONS[status]} {status.value.upper()}: {judged.tally}", style=COLOURS[status])
    text.append(f" · {report.queries} DNS queries", style="dim")
    return text
