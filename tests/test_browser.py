"""The app in a real browser: `streamlit run app.py` on a free localhost port, driven by headless Chromium.

Uses Debian's chromium and chromium-driver (`make test` installs them); a screenshot of each step is
saved under artifacts/ (git-ignored) for a person to look at.
"""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers import PROJECT, SCIATIC_DOC, copy_corpus
from helpers.makers import lighthouse_pdf
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from chatbot.config import Settings
from chatbot.index.backend import build_index

ARTIFACTS = PROJECT / "artifacts"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                                 reason="Debian chromium/chromium-driver missing: run `make browser`")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("browser")
    settings = Settings(corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index")
    build_index(settings, embedder, progress=False)
    port = free_port()
    env = dict(os.environ, CHATBOT_CORPUS_DIR=str(settings.corpus_dir), CHATBOT_INDEX_DIR=str(settings.index_dir),
               CHATBOT_COLLECTIONS_DIR=str(root / "collections"))
    log = open(root / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"streamlit did not start: {(root / 'streamlit.log').read_text()[-2000:]}")
    yield url, settings
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium look for a driver online
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def wait(driver, seconds: int) -> WebDriverWait:
    """A wait that looks again when the page redraws an element under it (Streamlit reruns do that)."""
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,))


def idle(driver) -> bool:
    """The app's script has finished running, so the page will not be redrawn under the test."""
    return bool(driver.find_elements(By.CSS_SELECTOR, "[data-testid='stApp'][data-test-script-state='notRunning']"))


def last_message(driver):
    return driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")[-1]


def last_message_text(driver) -> str:
    """The last chat message's text; empty until the page has drawn one (the wait then looks again)."""
    messages = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")
    return messages[-1].text if messages else ""


def ask(driver, question: str, answers_before: int, reading: str = "") -> None:
    """Ask and wait for the answer; with `reading`, first see that line while the model reads its sources."""
    box = wait(driver, 300).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "textarea[data-testid='stChatInputTextArea']")))
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    if reading:  # the real model takes seconds to read its sources: the line is there that long
        wait(driver, 120).until(lambda d: reading in last_message_text(d))
    # The turn is done when a new "Answered in …" / "Checked in …" line stands under it and the app is idle.
    wait(driver, 600).until(lambda d: len(d.find_elements(
        By.XPATH, "//*[contains(text(), 'Answered in') or contains(text(), 'Checked in')]")) > answers_before and idle(d))


def upload(driver, url: str, settings, name: str, content: str | bytes, notice: str) -> None:
    """Write a file outside the collection and add it through the page's uploader; wait for `notice`."""
    path = settings.corpus_dir.parent / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    driver.get(url)
    sidebar_uploader(driver).send_keys(str(path))
    wait(driver, 300).until(lambda d: d.find_elements(By.XPATH, f"//*[contains(text(), '{notice}')]") and idle(d))


def open_first_source(driver) -> str:
    """Click the first Sources entry of the last answer; return its label."""
    summary = last_message(driver).find_element(By.CSS_SELECTOR, "[data-testid='stExpander'] summary")
    label = summary.text
    summary.click()
    return label


def test_a_person_asks_reads_the_streamed_answer_and_checks_its_source(app_url, browser):
    url, _ = app_url
    browser.get(url)
    WebDriverWait(browser, 300).until(EC.presence_of_element_located((By.XPATH, "//*[contains(text(), 'Try one of these')]")))
    assert "not medical advice" in browser.find_element(By.TAG_NAME, "body").text
    shot(browser, "1-first-visit")

    ask(browser, "Which nerve is the largest in the human body?", 0, reading="Reading ")
    assert "sciatic" in last_message(browser).text.lower() and "Reading" not in last_message(browser).text
    label = wait(browser, 30).until(open_first_source)
    assert "Ultimate and Simple Guide" in label
    sentence = "The sciatic nerve is the largest in the human body."
    wait(browser, 30).until(lambda d: SCIATIC_DOC in last_message(d).text and sentence in last_message(d).text)
    highlighted = wait(browser, 30).until(lambda d: last_message(d).find_elements(By.XPATH, f".//*[contains(text(), '{sentence}')]"))
    assert highlighted[-1].get_attribute("class") == "stMarkdownColoredBackground"  # the supporting sentence is highlighted
    shot(browser, "2-answer-with-source")

    ask(browser, "What is the capital of France?", 1)
    refusal = last_message(browser).text
    assert "can't answer that from these documents" in refusal and "These documents cover" in refusal
    shot(browser, "3-refusal")


def test_uploaded_html_is_shown_as_text_and_never_runs(app_url, browser):
    url, settings = app_url
    upload(browser, url, settings, "swimming-notes.txt",
           "Swimming and knees\n\nSwimming builds leg strength without jarring the knee joint. "
           "<img src=x onerror=\"document.title='pwned'\"> Many people find water exercise gentle.\n",
           notice="Added swimming-notes.txt")
    assert (settings.corpus_dir / "swimming-notes.txt").exists()

    ask(browser, "What does swimming do for the knee joint?", 0)
    assert "swimming" in last_message(browser).text.lower()
    wait(browser, 30).until(open_first_source)
    wait(browser, 30).until(lambda d: "onerror" in last_message(d).text)  # shown as text…
    assert browser.title != "pwned"  # …and never run
    shot(browser, "4-upload-answer")


def test_an_uploaded_pdf_is_answered_with_its_page_and_the_page_is_shown(app_url, browser, tmp_path):
    url, settings = app_url
    upload(browser, url, settings, "harbour-report.pdf", lighthouse_pdf(tmp_path / "report.pdf").read_bytes(),
           notice="Added harbour-report.pdf")
    ask(browser, "Until which year did the lighthouse lamp burn colza oil?", 0)
    assert "1902" in last_message(browser).text
    label = wait(browser, 30).until(open_first_source)
    assert "The Harbour Lighthouse" in label and "p. 2" in label
    # the opened source shows the file and page, and the page itself drawn beside the passage
    wait(browser, 60).until(lambda d: "harbour-report.pdf · page 2" in last_message(d).text)
    images = wait(browser, 60).until(lambda d: [img for img in last_message(d).find_elements(
        By.CSS_SELECTOR, "[data-testid='stImage'] img") if img.size["width"] > 200])
    assert images
    browser.execute_script("arguments[0].scrollIntoView()", last_message(browser))
    shot(browser, "5-pdf-upload-page-citation")


def test_hostile_titles_and_file_names_never_become_links(app_url, browser):
    """Titles and names from documents render as text: no markdown link, no autolink (which only the
    browser's renderer makes, so only a real browser can show it is gone)."""
    url, settings = app_url
    upload(browser, url, settings, "www.evil.example.txt",
           "[Help](https://evil.example) or www.evil.example or bob@evil.example\n\n"
           "Volcanoes form where magma reaches the surface of the earth.\n",
           notice="Added www")  # the rest of the name carries an invisible word joiner
    ask(browser, "What is the capital of France?", 0)  # the refusal lists every title
    browser.find_element(By.XPATH, "//summary[contains(., 'Documents (')]").click()
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "evil" in body and "Help" in body  # the title is shown…
    links = [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME, "a")]
    assert not [h for h in links if "evil" in h or h.startswith("mailto:")]  # …and nothing from it is a link
    shot(browser, "5-hostile-titles")


def sidebar_uploader(driver):
    """The "Add documents" file input (each document also has a "Replace" uploader)."""
    return wait(driver, 300).until(lambda d: next((u.find_element(By.CSS_SELECTOR, "input[type='file']") for u in d.find_elements(
        By.CSS_SELECTOR, "[data-testid='stFileUploader']") if "PDF, Word" in u.text), None))  # None: not drawn yet, look again


def click_text(driver, xpath: str, seconds: int = 120) -> None:
    element = wait(driver, seconds).until(EC.element_to_be_clickable((By.XPATH, xpath)))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def choose(driver, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox or multiselect by its label."""
    widget = f"//label[contains(., '{label}')]/ancestor::div[contains(@data-testid, 'stSelectbox') or " \
             f"contains(@data-testid, 'stMultiSelect')][1]"
    for _ in range(3):  # typing while the page reruns can lose the keys: look at what is chosen, and try again
        box = wait(driver, 120).until(lambda d: d.find_element(By.XPATH, widget + "//input"))
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()
        box.send_keys(option)
        with contextlib.suppress(TimeoutException):  # the filtered list is drawn before ENTER can pick from it
            wait(driver, 10).until(lambda d: d.find_elements(By.XPATH, f"//*[@role='option'][contains(., '{option}')]"))
        box.send_keys(Keys.ENTER)
        wait(driver, 120).until(idle)
        shown = driver.find_element(By.XPATH, widget)  # a multiselect shows chips; a selectbox its input's value
        if option in shown.text + (shown.find_element(By.TAG_NAME, "input").get_attribute("value") or ""):
            return
    raise AssertionError(f"{option} could not be chosen in {label}")


def test_a_second_collection_from_the_app_alone(app_url, browser):
    """Make a collection, upload into it, ask limited to two of its documents (the answer cites only those), delete
    one document (gone from the answers), switch back and find the first collection's conversation."""
    url, settings = app_url
    browser.get(url)
    ask(browser, "Which nerve is the largest in the human body?", 0)
    click_text(browser, "//summary[contains(., 'New collection')]")
    name = wait(browser, 60).until(EC.element_to_be_clickable((By.XPATH, "//input[@aria-label='Name (letters, digits, - or _)']")))
    name.send_keys("lighthouses")
    click_text(browser, "//button[.//p[text()='Create']]")
    wait(browser, 120).until(lambda d: "no documents yet" in d.find_element(By.TAG_NAME, "body").text and idle(d))
    files = {"harbour.txt": "The Harbour Light\n\nThe Harbour Light was first lit in 1871 by keeper Ellis.\n",
             "north.txt": "The North Light\n\nThe North Light was first lit in 1903 by keeper Moss.\n",
             "decoy.txt": "The Decoy Light\n\nThe Decoy Light was first lit in 1790 by keeper Vane.\n"}
    for file_name, text in files.items():
        (settings.corpus_dir.parent / file_name).write_text(text, encoding="utf-8")
        sidebar_uploader(browser).send_keys(str(settings.corpus_dir.parent / file_name))
        wait(browser, 300).until(lambda d, f=file_name: d.find_elements(By.XPATH, f"//*[contains(text(), 'Added {f}')]") and idle(d))
    shot(browser, "6-new-collection-with-documents")

    click_text(browser, "//summary[contains(., 'Answer from')]")
    choose(browser, "Only these documents", "harbour.txt")
    choose(browser, "Only these documents", "north.txt")
    ask(browser, "Which keeper first lit the light, and in which year?", 0)
    answer = last_message(browser).text
    assert "Limited to: harbour.txt, north.txt" in answer and "Vane" not in answer and "1790" not in answer
    assert "Ellis" in answer or "Moss" in answer
    shot(browser, "7-limited-answer")

    click_text(browser, "//summary[contains(., 'Documents (3)')]")
    click_text(browser, "//div[contains(@class, 'st-key-del-north')]//button")
    wait(browser, 300).until(lambda d: d.find_elements(By.XPATH, "//*[contains(text(), 'Deleted north.txt')]") and idle(d))
    ask(browser, "When was the North Light first lit?", 1)
    assert "1903" not in last_message(browser).text and "Moss" not in last_message(browser).text

    choose(browser, "Collection", "default")
    wait(browser, 120).until(lambda d: "Which nerve is the largest in the human body?" in d.find_element(By.TAG_NAME, "body").text)
    assert "sciatic" in browser.find_element(By.TAG_NAME, "body").text.lower()
    shot(browser, "8-back-to-the-first-collection")
