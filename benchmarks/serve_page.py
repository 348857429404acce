"""Drive the `audiorouter serve` web page in headless Chromium: upload a clip, type a question and
choices, submit, wait for the answer, save a screenshot, print what the page shows as JSON.

    python benchmarks/serve_page.py --url http://127.0.0.1:8000 --audio clip.wav \
        --question "Is the speaker male or female?" --choices "male|female" --out page.png

Needs Chromium on the machine (Debian: apt-get install chromium; or --chromium PATH) and the
playwright package (pip; `playwright install` is not needed: the system browser is used).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium(path: str | None = None) -> str | None:
    """The browser to drive: `path`, $CHROMIUM, or the first of CANDIDATES on the PATH."""
    for candidate in (path, os.environ.get("CHROMIUM"), *CANDIDATES):
        found = candidate and (shutil.which(candidate) or (os.path.isfile(candidate) and candidate))
        if found:
            return found
    return None


def drive_page(url: str, audio: str, question: str, choices: list[str], out: str, chromium: str | None = None,
               timeout_s: float = 120.0) -> dict:
    """What the page shows after a submit: answer, route line, tool rows, error, waveform drawn."""
    from playwright.sync_api import sync_playwright

    browser_path = find_chromium(chromium)
    if browser_path is None:
        raise FileNotFoundError("no Chromium found (apt-get install chromium, or --chromium PATH)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 900, "height": 900})
            page.goto(url.rstrip("/") + "/")
            page.set_input_files("#file", audio)
            # the page has decoded the clip and drawn it (or said why it cannot)
            page.wait_for_function("/ s$|cannot draw/.test(document.getElementById('clipinfo').textContent)",
                                   timeout=timeout_s * 1000)
            page.fill("#question", question)
            page.fill("#choices", "\n".join(choices))
            page.click("#submit")
            page.wait_for_function("!document.getElementById('result').hidden || "
                                   "!document.getElementById('error').hidden", timeout=timeout_s * 1000)
            # the waveform: how many canvas columns hold a drawn (non-background) pixel
            drawn = page.evaluate("""() => { const c = document.getElementById('wave');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const cols = new Set();
                for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) cols.add((i / 4) % c.width);
                return cols.size; }""")
            shown = {"answer": page.text_content("#answer"), "route": page.text_content("#route"),
                     "tools": [[td.text_content() for td in row.query_selector_all("td")]
                               for row in page.query_selector_all("#tools tbody tr")],
                     "error": page.text_content("#error") if page.is_visible("#error") else "",
                     "clip": page.text_content("#clipinfo"), "waveform_columns": drawn}
            page.screenshot(path=out, full_page=True)
        finally:
            browser.close()
    return shown


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--audio", required=True)
    p.add_argument("--question", required=True)
    p.add_argument("--choices", required=True, help="separated by |")
    p.add_argument("--out", default="serve_page.png")
    p.add_argument("--chromium", default=None)
    args = p.parse_args()
    shown = drive_page(args.url, args.audio, args.question, args.choices.split("|"), args.out, args.chromium)
    print(json.dumps(shown, indent=1))


if __name__ == "__main__":
    main()
