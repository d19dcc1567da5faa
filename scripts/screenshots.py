"""Capture screenshots of the main screens into docs/screenshots/.

Starts ``storedesk demo`` in a temporary home on a free port, signs in as the demo admin in
Debian's Chromium and saves PNGs. Run: ``.venv/bin/python scripts/screenshots.py``.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix="storedesk-shots-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREDESK_")}
    env["STOREDESK_HOME"] = home
    server = subprocess.Popen(
        [sys.executable, "-m", "storedesk.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    password = None
    try:
        for line in server.stdout:
            match = re.search(r"Sign in as:\s+admin / (\S+)", line)
            if match:
                password = match.group(1)
            if line.startswith("Press Ctrl-C"):
                break
        base = f"http://127.0.0.1:{port}"
        time.sleep(1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for language, suffix in (("en", ""), ("zh-hans", "-zh"), ("hr", "-hr")):
                context = browser.new_context(
                    viewport={"width": 1280, "height": 800}, locale=language
                )
                page = context.new_page()
                page.goto(f"{base}/login/")
                page.click(f"button[value='{language}']")
                if not suffix:
                    page.screenshot(path=OUT / "sign-in.png")
                page.fill("input[name=username]", "admin")
                page.fill("input[name=password]", password)
                page.click("form.form button[type=submit]")
                page.wait_for_selector("#live-status[data-state=open]")
                page.screenshot(path=OUT / f"inbox{suffix}.png")
                if suffix:
                    context.close()
                    continue
                page.locator(".rows .row-main").nth(1).click()
                page.wait_for_selector("#live-status[data-state=open]")
                page.screenshot(path=OUT / "conversation.png")
                page.goto(f"{base}/contacts/")
                page.locator("table a").first.click()
                page.screenshot(path=OUT / "contact.png")
                page.goto(f"{base}/settings/agents/")
                page.screenshot(path=OUT / "settings.png")
                # The reports fill in once the demo's history is folded in (seconds).
                for _ in range(60):
                    page.goto(f"{base}/reports/")
                    if page.locator(".card-conversations .card-value").inner_text() != "0":
                        break
                    time.sleep(1)
                page.screenshot(path=OUT / "reports.png")
                page.locator("#hours-title").scroll_into_view_if_needed()
                page.screenshot(path=OUT / "reports-hours.png")
                context.close()
            phone = browser.new_context(
                viewport={"width": 360, "height": 740}, device_scale_factor=2
            )
            page = phone.new_page()
            page.goto(f"{base}/login/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", password)
            page.click("form.form button[type=submit]")
            page.wait_for_selector("#live-status[data-state=open]")
            page.screenshot(path=OUT / "inbox-phone.png")
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=20)
    print(f"Screenshots written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
