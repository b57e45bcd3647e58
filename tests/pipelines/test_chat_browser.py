"""End to end in a real browser: start `unirag chat` on a free loopback port, drive the page in
headless Chromium (Debian's chromium + chromium-driver, through Selenium with the driver path
given, so nothing is downloaded): upload two PDFs, hold a conversation (history, evidence under
each turn, a reply in Chinese), zoom and turn pages in the viewer, re-ingest and delete documents,
all under the server's Content-Security-Policy, with no error in the browser's console."""
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pymupdf
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
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def click(wait, css: str) -> None:
    """Click the element `css` selects. The document list is redrawn when a job ends, so a button
    found just before a redraw goes stale: it is looked up again until the click lands."""
    def attempt(driver) -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
        except (StaleElementReferenceException, NoSuchElementException):
            return False
        return True
    wait.until(attempt)


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


def tiny_pdf(path: Path) -> Path:
    """A one-page note on another subject: a second document to delete."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Wind turbine note: the gearbox oil of turbine WT-3 was replaced in March.")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


def turns(browser) -> list:
    return browser.find_elements(By.CSS_SELECTOR, "#conversation li.turn")


def ask(browser, wait, question: str, n: int):
    """Ask `question` as the `n`th turn; its element once its reply is in."""
    browser.find_element(By.ID, "question").send_keys(question)
    browser.find_element(By.ID, "ask").click()
    return wait.until(lambda d: len(turns(d)) == n and turns(d)[-1].get_attribute("data-status") not in
                      ("asking", None) and turns(d)[-1])


def page_shown(browser, wait, page: int):
    """Wait until the viewer shows `page`, loaded; the image element."""
    img = browser.find_element(By.ID, "page-img")
    wait.until(lambda d: d.find_element(By.ID, "viewer").get_attribute("data-page") == str(page)
               and img.is_displayed() and d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img))
    return img


BOX_IN_VIEW = """// the cited box is in view: all of it when it fits, else its centre
const pane = document.getElementById('page-box'), img = document.getElementById('page-img');
const b = pane.dataset.box.split(',').map(Number), w = Number(pane.dataset.size.split(',')[0]);
const s = img.clientWidth / w, cx = (b[0] + b[2]) / 2 * s, cy = (b[1] + b[3]) / 2 * s;
const fits = (b[2] - b[0]) * s <= pane.clientWidth && (b[3] - b[1]) * s <= pane.clientHeight;
const inside = (x, y) => x >= pane.scrollLeft && x <= pane.scrollLeft + pane.clientWidth &&
                         y >= pane.scrollTop && y <= pane.scrollTop + pane.clientHeight;
return [inside(cx, cy) && (!fits || (inside(b[0] * s, b[1] * s) && inside(b[2] * s, b[3] * s))),
        pane.scrollLeft, pane.scrollTop, img.clientWidth / pane.clientWidth];
"""


def test_a_conversation_with_its_evidence_the_page_viewer_and_deleting_documents(server, browser, tmp_path):
    pdf = make_sample_pdf(tmp_path / "upload" / "solar_field_study.pdf")
    note = tiny_pdf(tmp_path / "upload" / "wind_note.pdf")
    wait = WebDriverWait(browser, 45, poll_frequency=0.2)
    browser.get(server)
    assert "no LLM was used" in wait.until(lambda d: d.find_element(By.ID, "gen").text or None)

    browser.find_element(By.ID, "file").send_keys(f"{pdf}\n{note}")
    browser.find_element(By.ID, "upload").click()
    job = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#jobs li[data-state='done'], "
                                                               "#jobs li[data-state='failed']"))
    assert job.get_attribute("data-state") == "done", job.text
    assert "solar_field_study.pdf: done" in job.text and "wind_note.pdf: done" in job.text
    wait.until(lambda d: "wind_note" in d.find_element(By.ID, "docs").text)

    # first question: the reply, its note, its citations and crops; the viewer opens the cited page
    first = ask(browser, wait, SAMPLE_QUESTIONS[0]["question"], 1)
    assert first.get_attribute("data-status") == "answered" and "98.3" in first.find_element(By.CLASS_NAME, "a").text
    assert "no LLM was used" in first.find_element(By.CLASS_NAME, "note").text
    assert first.find_elements(By.CSS_SELECTOR, "button.citation")[0].text.startswith("[1] solar_field_study p.2")
    img = page_shown(browser, wait, 2)
    assert browser.execute_script("return arguments[0].naturalWidth", img) > 500
    assert "page 2 of 3 (cited region outlined in red)" in browser.find_element(By.ID, "viewer-msg").text
    table_box = browser.find_element(By.ID, "page-box").get_attribute("data-box")
    assert table_box and browser.execute_script(BOX_IN_VIEW)[0]

    # zoom: the image grows past the viewer and the cited box is scrolled into view
    for _ in range(2):
        browser.find_element(By.ID, "zoom-in").click()
    assert browser.find_element(By.ID, "zoom-level").text == "200%"
    in_view, left, top, ratio = browser.execute_script(BOX_IN_VIEW)
    assert in_view and left > 0 and top > 0 and ratio > 1.9, (left, top, ratio)
    browser.find_element(By.ID, "zoom-out").click()
    assert browser.find_element(By.ID, "zoom-level").text == "150%" and browser.execute_script(BOX_IN_VIEW)[0]

    # next page and back: the last page has no box and no next; the cited page has its box again
    browser.find_element(By.ID, "next-page").click()
    page_shown(browser, wait, 3)
    assert browser.find_element(By.ID, "page-label").text == "p. 3 / 3"
    assert not browser.find_element(By.ID, "next-page").is_enabled()
    assert browser.find_element(By.ID, "page-box").get_attribute("data-box") == ""
    browser.find_element(By.ID, "prev-page").click()
    page_shown(browser, wait, 2)
    assert browser.find_element(By.ID, "page-box").get_attribute("data-box") == table_box

    # a follow-up question is added below the first; both keep their evidence; the viewer follows
    second = ask(browser, wait, SAMPLE_QUESTIONS[1]["question"], 2)
    assert "36.2" in second.find_element(By.CLASS_NAME, "a").text
    first, second = turns(browser)
    assert "98.3" in first.find_element(By.CLASS_NAME, "a").text and first.get_attribute("class") == "turn"
    assert "current" in second.get_attribute("class")
    for turn in (first, second):
        assert turn.find_elements(By.CSS_SELECTOR, "button.citation"), turn.text
        assert turn.find_elements(By.CSS_SELECTOR, ".thumbs img"), turn.text
    wait.until(lambda d: d.find_element(By.ID, "page-box").get_attribute("data-box") not in ("", table_box))
    page_shown(browser, wait, 2)

    # a question in Chinese is refused in Chinese, with what was found
    third = ask(browser, wait, "员工制服是什么颜色？", 3)
    assert third.get_attribute("data-status") == "refused"
    assert third.find_element(By.CLASS_NAME, "a").text == "文档中似乎没有这个问题的答案。"
    assert "未使用 LLM" in third.find_element(By.CLASS_NAME, "note").text
    assert third.find_elements(By.CSS_SELECTOR, "button.citation")
    page_shown(browser, wait, int(third.find_element(By.CSS_SELECTOR, "button.citation").text.split(" p.")[1].split()[0]))
    shot = tmp_path / "chat.png"  # three turns and the viewer following the last
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("UNIRAG_ARTIFACTS"):
        out = Path(os.environ["UNIRAG_ARTIFACTS"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out / "chat_browser.png")

    # re-ingest, then delete both documents from the page: the viewer clears, a new question finds nothing
    click(wait, "#docs li[data-doc='solar_field_study'] button.reingest")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#jobs li[data-state='done']")) == 2)
    for doc_id in ("wind_note", "solar_field_study"):
        click(wait, f"#docs li[data-doc='{doc_id}'] button.delete")
        wait.until(lambda d: d.switch_to.alert).accept()
        wait.until(lambda d, gone=f"#docs li[data-doc='{doc_id}']": not d.find_elements(By.CSS_SELECTOR, gone))
        assert f"Deleted {doc_id}" in browser.find_element(By.ID, "docs-msg").text
    assert not browser.find_element(By.ID, "page-img").is_displayed()
    assert "solar_field_study was deleted" in browser.find_element(By.ID, "viewer-msg").text
    fourth = ask(browser, wait, SAMPLE_QUESTIONS[0]["question"], 4)
    assert fourth.get_attribute("data-status") == "refused" and not fourth.find_elements(By.CSS_SELECTOR, "button.citation")
    assert not browser.find_element(By.ID, "page-img").is_displayed()
    assert browser.find_element(By.ID, "viewer-msg").text == "No evidence was found for this question."
    assert len(turns(browser)) == 4 and "98.3" in turns(browser)[0].text  # the history stays
    assert console_errors(browser) == []

    # the policy is in force: a script injected into the page does not run, and the console says why
    browser.execute_script("const s = document.createElement('script');"
                           "s.textContent = 'document.body.dataset.injected = 1'; document.body.append(s);")
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-injected") is None
    assert any("Content Security Policy directive 'script-src 'self''" in m for m in console_errors(browser))
