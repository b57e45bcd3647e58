"""End to end in a real browser: start `unirag chat` on a free loopback port, drive the page in
headless Chromium (Debian's chromium + chromium-driver, through Selenium with the driver path
given, so nothing is downloaded): upload a PDF, watch it ingest, ask, open a citation's page, all
under the server's Content-Security-Policy, with no error in the browser's console."""
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from unirag.rag.testing import free_port

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_pdf

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
if missing:
    pytest.skip(f"headless browser test needs {' and '.join(missing)}: "
                "apt-get install -y chromium chromium-driver (make system does it as root)",
                allow_module_level=True)
pytest.importorskip("selenium", reason="pip install 'unirag[dev]' for the browser test")
pytest.importorskip("fastapi", reason="pip install 'unirag[server]' for the chat server")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture()
def server(tmp_path):
    port = free_port()
    log = open(tmp_path / "server.log", "wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "unirag.pipelines.cli", "chat", "--db", str(tmp_path / "db"),
                             "--encoder", "hash", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/api/info", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chat server did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture()
def browser():
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try the network
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, read by get_log
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(browser) -> list[str]:
    """Errors in the console since the last call (CSP violations among them); the page has no icon."""
    return [e["message"] for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and "/favicon.ico" not in e["message"]]


def test_upload_ask_and_open_a_cited_page(server, browser, tmp_path):
    pdf = make_sample_pdf(tmp_path / "upload" / "solar_field_study.pdf")
    wait = WebDriverWait(browser, 45, poll_frequency=0.2)
    browser.get(server)
    assert "no LLM was used" in wait.until(lambda d: d.find_element(By.ID, "gen").text or None)

    browser.find_element(By.ID, "file").send_keys(str(pdf))
    browser.find_element(By.ID, "upload").click()
    job = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#jobs li[data-state='done'], "
                                                               "#jobs li[data-state='failed']"))
    assert job.get_attribute("data-state") == "done", job.text
    assert "solar_field_study.pdf: done" in job.text
    wait.until(lambda d: "solar_field_study" in d.find_element(By.ID, "docs").text)

    q = SAMPLE_QUESTIONS[0]
    browser.find_element(By.ID, "question").send_keys(q["question"])
    browser.find_element(By.ID, "ask").click()
    citations = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#citations button.citation"))
    assert "98.3" in browser.find_element(By.ID, "answer").text
    assert "no LLM was used" in browser.find_element(By.ID, "note").text
    assert citations[0].text.startswith("[1] solar_field_study p.2")

    citations[0].click()
    img = browser.find_element(By.ID, "page-img")
    wait.until(lambda d: img.is_displayed() and d.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", img))
    assert browser.execute_script("return arguments[0].naturalWidth", img) > 500
    assert "page 2" in browser.find_element(By.ID, "viewer-msg").text
    assert console_errors(browser) == []

    # the policy is in force: a script injected into the page does not run, and the console says why
    browser.execute_script("const s = document.createElement('script');"
                           "s.textContent = 'document.body.dataset.injected = 1'; document.body.append(s);")
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-injected") is None
    assert any("Content Security Policy directive 'script-src 'self''" in m for m in console_errors(browser))

    shot = tmp_path / "chat.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("UNIRAG_ARTIFACTS"):
        out = Path(os.environ["UNIRAG_ARTIFACTS"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out / "chat_browser.png")
