"""JUnit XML, as CI systems (GitLab, Jenkins, GitHub test reporters) display it.

One testcase per check, classname `chargenet.check.<profile>`; fail → <failure>, error →
<error>, not applicable / not run → <skipped>; the frames go into <system-out>. The suite's
property `ocpp_version` names the version (1.6, 2.0.1).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from simulator.check.catalogue import VERSION_LABELS
from simulator.check.reports.model import Run
from simulator.check.verdicts import Verdict


def render(run: Run) -> str:
    counts = run.counts()
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="chargenet check",
        tests=str(len(run.results)),
        failures=str(counts[Verdict.FAIL]),
        errors=str(counts[Verdict.ERROR]),
        skipped=str(counts[Verdict.NOT_APPLICABLE] + counts[Verdict.NOT_RUN]),
        time=f"{run.duration_s:.3f}",
        timestamp=run.started_at.isoformat(timespec="seconds"),
        hostname=run.url,
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(
        properties, "property", name="ocpp_version", value=VERSION_LABELS[run.ocpp_version]
    )
    for check, outcome in run.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"chargenet.check.{check.profile.value}",
            name=f"{check.id} {check.title}",
            time=f"{outcome.duration_s:.3f}",
        )
        if outcome.verdict is Verdict.FAIL:
            failure = ET.SubElement(
                case, "failure", message=f"expected {outcome.expected}; got {outcome.reason}"
            )
            failure.text = f"{check.clause}\nexpected: {outcome.expected}\ngot: {outcome.reason}"
        elif outcome.verdict is Verdict.ERROR:
            ET.SubElement(case, "error", message=outcome.reason).text = outcome.reason
        elif outcome.verdict in (Verdict.NOT_APPLICABLE, Verdict.NOT_RUN):
            ET.SubElement(case, "skipped", message=f"{outcome.verdict.value}: {outcome.reason}")
        if outcome.frames:
            ET.SubElement(case, "system-out").text = "\n".join(f.line() for f in outcome.frames)
    ET.indent(suites)
    text: str = ET.tostring(suites, encoding="unicode", xml_declaration=True)
    return text + "\n"


def write(path: Path, run: Run) -> None:
    path.write_text(render(run), encoding="utf-8")
