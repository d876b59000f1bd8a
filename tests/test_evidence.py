"""Evidence files and links: sniffed by content, size-limited, hashed, backed up, marked."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from ocf.access import PUBLIC, Actor
from ocf.demo import DEMO_SITE, demo_actor, demo_pdf
from ocf.errors import ConflictError, DataError, PermissionDenied
from ocf.evidence import (
    MAX_BYTES,
    NO_EVIDENCE,
    Refused,
    add_file,
    add_link,
    check_file,
    listing,
    open_file,
    remove,
)
from ocf.reports import board_report
from ocf.results import site_results
from ocf.rounds import change_status
from ocf.store import Store

from .conftest import dump, page_at

OPEN = "2025-26"
PUBLISHED = "2024-25"
OTHER = "XTA2"


def office(parts: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


DOCX = office(
    {
        "[Content_Types].xml": '<Types><Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
        'document.main+xml"/></Types>',
        "word/document.xml": "<w:document/>",
    }
)
DOCM = office(
    {
        "[Content_Types].xml": '<Types><Default ContentType="application/vnd.ms-word.document.'
        'macroEnabled.main+xml"/></Types>',
        "word/document.xml": "<w:document/>",
        "word/vbaProject.bin": "macro",
    }
)
ODT = office({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"})
# OpenDocument keeps Basic macros under Basic/ (run on opening by an event in content.xml),
# and Python or JavaScript under Scripts/.
ODT_BASIC = office(
    {
        "mimetype": "application/vnd.oasis.opendocument.text",
        "content.xml": "<x/>",
        "Basic/Standard/Module1.xml": '<script:module>Sub Main: Shell("calc"): End Sub',
        "Basic/script-lc.xml": "<library:libraries/>",
    }
)
ODS_PYTHON = office(
    {
        "mimetype": "application/vnd.oasis.opendocument.spreadsheet",
        "content.xml": "<x/>",
        "Scripts/python/run.py": "import os",
    }
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64


def xlsx() -> bytes:
    out = io.BytesIO()
    pd.DataFrame({"measure": ["detentions"], "rate": [3.4]}).to_excel(out, index=False)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("board paper.pdf", demo_pdf("A board paper"), "application/pdf"),
        ("plan.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("measures.XLSX", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("plan.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("chart.png", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("poster.gif", GIF, "image/gif"),
    ],
)  # fmt: skip
def test_accepted_files_are_known_by_their_content(name: str, data: bytes, media_type: str) -> None:
    assert check_file(name, data) == (name, media_type)


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 64, "its content is not a PDF, Word"),
        ("report.pdf", b"<html><script>alert(1)</script></html>", "its content is not a PDF"),
        ("report.pdf", PNG, "its name ends .pdf but its content is a PNG image"),
        ("chart.png", demo_pdf("x"), "its name ends .png but its content is a PDF"),
        ("invoice", demo_pdf("x"), "its name ends without a type but its content is a PDF"),
        ("plan.docx", DOCM, "it contains macros"),
        ("plan.odt", ODT_BASIC, "it contains macros or scripts"),
        ("sheet.ods", ODS_PYTHON, "it contains macros or scripts"),
        ("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old-style Office file"),
        ("archive.zip", office({"a.txt": "hello"}), "it is a zip archive, not a PDF"),
        ("broken.docx", b"PK\x03\x04garbage", "cannot be read as one"),
        ("empty.pdf", b"", "the file is empty"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_BYTES, "it is 10.0 MB; the limit is 10.0 MB"),
    ],
)
def test_disguised_oversized_and_unknown_files_are_refused(
    name: str, data: bytes, why: str
) -> None:
    with pytest.raises(Refused, match=why.replace("(", r"\(").replace(".", r"\.")):
        check_file(name, data)


def test_a_path_in_the_name_is_dropped() -> None:
    assert check_file("C:\\Users\\me\\..\\plan\x07.pdf", demo_pdf("x"))[0] == "plan.pdf"


@pytest.fixture
def lead(demo_store: Store) -> Actor:
    return demo_actor(demo_store, "lead")


def test_a_file_is_kept_with_its_sha256_and_comes_back_byte_for_byte(
    demo_store: Store, lead: Actor, tmp_path: Path
) -> None:
    data = demo_pdf("Board minutes")
    evidence_id = add_file(
        demo_store, lead, DEMO_SITE, OPEN, "data-core-measures", "minutes.pdf", data
    )
    file = open_file(demo_store, lead, evidence_id)
    assert (file.name, file.media_type, file.content) == ("minutes.pdf", "application/pdf", data)
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    # The audit log records the file and its hash, never its bytes.
    entry = next(
        e for e in demo_store.audit.audit_events("evidence") if e["entity_id"] == str(evidence_id)
    )
    assert file.sha256 in entry["after"] and "content" not in entry["after"]
    # Backups hold the bytes.
    copy = demo_store.backup(tmp_path / "backup.db")
    assert bytes(Store.open(copy).evidence.get_evidence(evidence_id)["content"]) == data


def test_a_refused_file_or_link_names_the_problem_and_changes_nothing(
    demo_store: Store, lead: Actor
) -> None:
    before = dump(demo_store)
    with pytest.raises(DataError) as caught:
        add_file(demo_store, lead, DEMO_SITE, OPEN, "data-core-measures", "report.pdf", PNG)
    assert str(caught.value.problems[0]).startswith(
        "report.pdf: its name ends .pdf but its content is a PNG image"
    )
    with pytest.raises(DataError, match="not a web address"):
        add_link(demo_store, lead, DEMO_SITE, OPEN, "data-core-measures", "javascript:alert(1)")
    with pytest.raises(DataError, match="no competency 'nope'"):
        add_link(demo_store, lead, DEMO_SITE, OPEN, "nope", "https://example.org")
    assert dump(demo_store) == before


def test_only_the_sites_lead_or_an_admin_adds_evidence_while_the_round_is_open(
    demo_store: Store, lead: Actor
) -> None:
    link = ("https://nhs.example/plan", "The plan")
    with pytest.raises(PermissionDenied):
        add_link(demo_store, lead, OTHER, OPEN, "data-core-measures", *link)
    for role in ("regulator", "facilitator"):
        with pytest.raises(PermissionDenied):
            add_link(
                demo_store,
                demo_actor(demo_store, role),
                DEMO_SITE,
                OPEN,
                "data-core-measures",
                *link,
            )
    with pytest.raises(ConflictError, match="evidence is added while a round is open"):
        add_link(demo_store, lead, DEMO_SITE, PUBLISHED, "data-core-measures", *link)
    admin = demo_actor(demo_store, "admin")
    evidence_id = add_link(demo_store, admin, OTHER, OPEN, "data-core-measures", *link)
    with pytest.raises(PermissionDenied):
        remove(demo_store, lead, evidence_id)
    remove(demo_store, admin, evidence_id)
    assert evidence_id not in set(demo_store.evidence.evidence_frame(OPEN, OTHER)["id"])


def test_regulators_open_published_evidence_and_the_facilitator_their_sites(
    demo_store: Store,
) -> None:
    regulator, facilitator = (demo_actor(demo_store, r) for r in ("regulator", "facilitator"))
    assert not listing(demo_store, regulator, DEMO_SITE, PUBLISHED).empty
    pdf = listing(demo_store, regulator, DEMO_SITE, PUBLISHED).query("kind == 'file'")
    assert open_file(demo_store, regulator, int(pdf["id"].iloc[0])).content.startswith(b"%PDF-")
    with pytest.raises(PermissionDenied):
        listing(demo_store, regulator, DEMO_SITE, OPEN)
    assert not listing(demo_store, facilitator, DEMO_SITE, OPEN).empty
    with pytest.raises(PermissionDenied):
        listing(demo_store, facilitator, OTHER, OPEN)
    with pytest.raises(PermissionDenied):
        listing(demo_store, PUBLIC, DEMO_SITE, PUBLISHED)


def test_a_tampered_file_is_not_handed_out(demo_store: Store, lead: Actor) -> None:
    evidence_id = add_file(
        demo_store, lead, DEMO_SITE, OPEN, "data-core-measures", "a.pdf", demo_pdf("x")
    )
    demo_store.db.conn.execute(
        "UPDATE evidence SET content = ? WHERE id = ?", [demo_pdf("changed"), evidence_id]
    )
    with pytest.raises(ConflictError, match="does not match its SHA-256"):
        open_file(demo_store, lead, evidence_id)


def test_a_rating_above_the_lowest_level_without_evidence_is_marked_everywhere(
    demo_store: Store,
) -> None:
    admin = demo_actor(demo_store, "admin")
    result = site_results(demo_store, admin, OTHER, PUBLISHED)
    c = result.competencies.set_index("competency")
    marked = c.index[c["evidence"] == NO_EVIDENCE]
    assert len(marked) and (c.loc[marked, "self"] > 0).all()
    assert (c.loc[c["self"] == 0, "evidence"] != NO_EVIDENCE).all()
    linked = c.index[c["evidence"] == "1 link"]
    assert len(linked)
    report = board_report(demo_store, admin, OTHER, PUBLISHED)
    assert report.count(f"<td>{NO_EVIDENCE}</td>") == len(marked)
    assert "<h2>Evidence</h2>" in report and "nhs.example/evidence" in report
    # A link given for a marked rating clears its mark (adding needs an open round).
    change_status(demo_store, PUBLISHED, "reopen", "t", reason="evidence for the test")
    add_link(demo_store, admin, OTHER, PUBLISHED, marked[0], "https://nhs.example/x")
    again = site_results(demo_store, admin, OTHER, PUBLISHED).competencies.set_index("competency")
    assert again.loc[marked[0], "evidence"] == "1 link"


def test_the_public_never_sees_evidence(demo_store: Store) -> None:
    result = site_results(demo_store, PUBLIC, DEMO_SITE, PUBLISHED)
    assert result.evidence.empty


# --------------------------------------------------------------------------- pages


def test_the_lead_adds_a_link_on_the_self_assessment_and_sees_the_mark_go(
    demo_copy: Path,
) -> None:
    at = page_at(demo_copy, "lead", "self_assessment")
    blocks = [e for e in at.expander if e.label.startswith("Evidence:")]
    assert blocks  # one per competency of the section shown
    marks = [w for w in at.warning if "no evidence yet" in w.value]
    assert len(marks) <= sum(e.label == "Evidence: none yet" for e in blocks)
    # Add a link to the first competency through its form.
    url_box = blocks[0].text_input[0]
    competency = url_box.key.split(":", 1)[1]
    url_box.input("https://xta1.nhs.example/plan")
    blocks[0].text_input[1].input("Our plan")
    blocks[0].button[-1].click().run()
    assert not at.exception and not at.error
    rows = Store.open(demo_copy).evidence.evidence_frame(OPEN, DEMO_SITE)
    assert ("Our plan", "https://xta1.nhs.example/plan", competency) in set(
        zip(rows["name"], rows["url"], rows["competency"], strict=True)
    )
    label = next(e.label for e in at.expander if e.label.startswith("Evidence:"))
    assert "link" in label


def test_a_regulator_downloads_evidence_on_the_evidence_page(demo_copy: Path) -> None:
    at = page_at(demo_copy, "regulator", "evidence")
    assert at.title[0].value == "Evidence"
    downloads = [b for b in at.get("download_button")]
    assert downloads  # the demo lead's board paper
    assert any("SHA-256" in c.value for c in at.caption)


def test_evidence_on_the_command_line(demo_path: Path, tmp_path: Path, runner) -> None:
    from ocf.cli import main

    db = tmp_path / "demo.db"
    shutil.copy(demo_path, db)
    good, fake = tmp_path / "plan.pdf", tmp_path / "fake.pdf"
    good.write_bytes(demo_pdf("Our plan"))
    fake.write_bytes(b"MZ" + b"\x00" * 100)
    base = ["evidence", "add", "xta1", "--round", OPEN, "--competency", "data-core-measures"]
    added = runner.invoke(main, [*base, "--file", str(good), "--db", str(db)])
    assert added.exit_code == 0, added.output
    digest = hashlib.sha256(good.read_bytes()).hexdigest()
    assert added.output.endswith(f"plan.pdf (SHA-256 {digest})\n")
    refused = runner.invoke(main, [*base, "--file", str(fake), "--db", str(db)])
    assert refused.exit_code != 0
    assert "fake.pdf: its content is not a PDF" in refused.output
    both = runner.invoke(
        main, [*base, "--file", str(good), "--link", "https://a.example", "--db", str(db)]
    )
    assert both.exit_code != 0 and "either --file or --link" in both.output
    listed = runner.invoke(
        main, ["evidence", "list", "--site", "XTA1", "--round", OPEN, "--db", str(db)]
    )
    frame = pd.read_csv(io.StringIO(listed.output))
    assert list(frame.columns[:10]) == [
        "id", "site", "round", "competency", "kind", "name", "url", "media_type", "size", "sha256",
    ]  # fmt: skip
    assert digest in set(frame["sha256"]) and "content" not in frame.columns
