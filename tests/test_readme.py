"""The README tells the truth about files and settings it names."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_document_the_readme_points_to_is_in_the_repository():
    named = set(re.findall(r"`([\w./-]+\.(?:md|toml|py))`", README))
    assert named, "the README names files"
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert missing == []


def test_readme_documents_host_and_port_of_make_run():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "HOST ?=" in makefile and "PORT ?=" in makefile
    assert "make run PORT=" in README and "HOST=0.0.0.0" in README


def test_readme_points_to_the_api_docs_the_app_serves():
    assert "/api/docs/" in README and "/api/schema/" in README
    assert "docs/api.md" in README and (ROOT / "docs" / "api.md").exists()
    assert "design notes" not in README
