#!/usr/bin/python3
"""The dashboard in a real browser: headless Chromium driven by chromedriver (selenium)
against a real seatd, with seats held over the seat protocol by `seatctl run`.

Signs in with an admin key, checks the numbers each page shows against the admin socket
(`seatctl status|sessions|report --json`), force-releases a seat from the license page and
checks over the protocol that it is free, and checks that a POST without the CSRF token is
refused with 403. Then a second seatd with the dashboard on 0.0.0.0: HTTPS with the server
certificate, a Secure cookie, no plain HTTP.

    Tests/browser/dashboard_test.py BUILD_DIR [--screenshot PATH]

Nothing is skipped: without chromium, chromedriver or selenium it fails and says what to
install.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

INSTALL = "install them with: apt-get install chromium chromium-driver python3-selenium (scripts/install-deps.sh does)"

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:
    sys.exit("FAILED: python3-selenium is missing; " + INSTALL)


def fail(message):
    raise AssertionError(message)


def wait_until(what, check, seconds=60.0):
    """Polls `check` until it returns a true value (at most `seconds`, generous on a loaded machine)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            fail(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.2)


class Seatd:
    def __init__(self, build, work, dashboard_address="127.0.0.1"):
        self.build = build
        self.work = work
        self.state = os.path.join(work, "state")
        self.log_path = os.path.join(work, "seatd.log")
        here = os.path.dirname(os.path.abspath(__file__))
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [os.path.join(build, "seatd"), "-o", "listen_address=127.0.0.1", "-o", "port=0", "-o", "metrics_port=0",
             "-o", "dashboard_port=0", "-o", f"dashboard_listen_address={dashboard_address}", "-o", f"state_directory={self.state}",
             "-o", f"licenses_file={os.path.join(here, 'licenses.json')}", "-o", "development_mode=true",
             "-o", "anonymous_tenant=default", "-o", "audit_aggregation_window_seconds=1", "-o", "sweep_interval_seconds=0.5"],
            stdout=self.log, stderr=subprocess.STDOUT)
        text = wait_until("seatd to log its ports", self.ports)
        self.port, self.dashboard = text

    def ports(self):
        if self.process.poll() is not None:
            fail("seatd exited:\n" + open(self.log_path).read())
        log = open(self.log_path).read()
        port = re.search(r'msg=listening address=[^ \n]*:(\d+)\n', log)
        dashboard = re.search(r'msg="dashboard listening" address="?(https?://[0-9.]+:\d+)/', log)
        if port and dashboard and 'msg="admin socket listening"' in log:
            return int(port.group(1)), dashboard.group(1)
        return None

    def seatctl(self, *arguments, check=True, raw=False):
        """`raw`: stdout as bytes decoded without newline translation (CSV keeps its CRLF)."""
        command = [os.path.join(self.build, "seatctl"), *arguments]
        result = subprocess.run(command, capture_output=True, text=not raw, timeout=120)
        if raw:
            result.stdout = result.stdout.decode()
        if check and result.returncode != 0:
            fail(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
        return result

    def admin(self, *arguments, raw=False):
        return self.seatctl(*arguments, "--admin-socket", os.path.join(self.state, "admin.sock"), raw=raw).stdout

    def admin_json(self, *arguments):
        return json.loads(self.admin(*arguments, "--json"))

    def holder(self, license, user):
        """`seatctl run` holding a seat of `license` for `user` until killed; it stops if the seat is lost."""
        return subprocess.Popen(
            [os.path.join(self.build, "seatctl"), "run", "--server", f"127.0.0.1:{self.port}", "--ca", os.path.join(self.state, "tls", "ca.pem"),
             "--license", license, "--user", user, "--hostname", f"{user}-ws", "--stop-on-loss", "--grace", "1", "--", "sleep", "600"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def acquire_once(self, license, user):
        """Acquires a seat over the protocol, runs `true`, releases: the exit status (3: no free seat)."""
        return self.seatctl("run", "--server", f"127.0.0.1:{self.port}", "--ca", os.path.join(self.state, "tls", "ca.pem"),
                            "--license", license, "--user", user, "--", "true", check=False).returncode

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def find_browser():
    """chromium and chromedriver, or a failure naming what to install (before anything starts)."""
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        sys.exit(f"FAILED: {'chromium' if not chromium else 'chromedriver'} is not on PATH; " + INSTALL)
    return chromium, driver


def browser(chromium, driver):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1500", "--disable-gpu"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(driver), options=options)


def text(driver, selector):
    """The text of the element `selector` names, once the page shows it (a click's navigation may still be loading)."""
    return wait_until(f"{selector} on the page", lambda: driver.find_elements(By.CSS_SELECTOR, selector))[0].text.strip()


def click_to(driver, element, path):
    """Clicks `element` and waits for the browser to arrive at a URL holding `path`."""
    element.click()
    wait_until(f"the browser to open {path}", lambda: path in driver.current_url)


def post_without_csrf(dashboard, cookie, path, fields):
    """A form POST carrying the session cookie but no CSRF token: the status."""
    request = urllib.request.Request(dashboard + path, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Cookie": f"seatd_session={cookie}", "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def get(dashboard, cookie, path):
    request = urllib.request.Request(dashboard + path, headers={"Cookie": f"seatd_session={cookie}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers, response.read().decode()


def run(build, screenshot):
    chromium, chromedriver = find_browser()
    work = tempfile.mkdtemp(prefix="seatd-browser-")
    seatd = Seatd(build, work)
    holders = []
    driver = None
    try:
        secret = seatd.admin_json("key", "create", "--role", "admin", "--label", "browser test")["secret"]
        holders = [seatd.holder("BROWSER-3", "alice"), seatd.holder("BROWSER-3", "bob"), seatd.holder("BROWSER-1", "carol")]
        wait_until("three seats in use", lambda: sum(l["in_use"] for l in seatd.admin_json("status")["licenses"]) == 3)
        # BROWSER-1 is full: this acquire is refused (a denial for the heatmap) and shows the check below can fail.
        if seatd.acquire_once("BROWSER-1", "dave") != 3:
            fail("an acquire of the full BROWSER-1 was not refused with exit status 3")

        driver = browser(chromium, chromedriver)
        driver.get(seatd.dashboard + "/")
        if not driver.current_url.endswith("/login"):
            fail(f"an unsigned browser was not sent to /login but to {driver.current_url}")
        driver.find_element(By.ID, "key").send_keys("seatd_0000000000000000_wrong")
        driver.find_element(By.ID, "sign-in").click()
        wait_until("the refusal", lambda: driver.find_elements(By.ID, "problem"))
        if "unknown, revoked" not in text(driver, "#problem"):
            fail("a wrong key was not refused on the sign-in page")
        driver.find_element(By.ID, "key").send_keys(secret)
        driver.find_element(By.ID, "sign-in").click()  # text() below waits for the overview
        if "browser test (admin)" not in text(driver, "#signed-in-as"):
            fail("not signed in: " + driver.page_source[:500])
        cookie = driver.get_cookie("seatd_session")
        if not cookie or not cookie.get("httpOnly") or cookie.get("sameSite") != "Strict":
            fail(f"the session cookie is not HttpOnly and SameSite=Strict: {cookie}")

        # Overview: in use and seats of every license, as the admin socket says.
        status = {l["key"]: l for l in seatd.admin_json("status")["licenses"]}
        rows = driver.find_elements(By.CSS_SELECTOR, "#licenses tr[data-license]")
        shown = {row.get_attribute("data-license"): row for row in rows}
        if set(shown) != set(status):
            fail(f"the overview lists {sorted(shown)}, the server {sorted(status)}")
        for key, row in shown.items():
            in_use = row.find_element(By.CSS_SELECTOR, ".in-use").text
            seats = row.find_element(By.CSS_SELECTOR, ".seats").text
            state = row.find_element(By.CSS_SELECTOR, ".status").text
            if (int(in_use), int(seats), state) != (status[key]["in_use"], status[key]["seats"], status[key]["status"]):
                fail(f"overview row {key}: {in_use}/{seats} {state}, server {status[key]}")
        print(f"overview: {len(rows)} licenses match seatctl status")

        # License page: sessions and the 24 h chart against the store.
        click_to(driver, driver.find_element(By.LINK_TEXT, "BROWSER-3"), "/licenses/BROWSER-3")
        sessions = {s["id"]: s for s in seatd.admin_json("sessions", "--license", "BROWSER-3")["sessions"]}
        listed = {row.get_attribute("data-session"): row.find_element(By.CSS_SELECTOR, ".user").text
                  for row in driver.find_elements(By.CSS_SELECTOR, "#sessions tr[data-session]")}
        if listed != {id: s["user"] for id, s in sessions.items()}:
            fail(f"license page sessions {listed}, server {sessions}")
        if (int(text(driver, "#in-use")), int(text(driver, "#seats"))) != (status["BROWSER-3"]["in_use"], status["BROWSER-3"]["seats"]):
            fail("license page in use / seats differ from seatctl status")
        usage = seatd.admin_json("report", "usage", "--by", "hour", "--from", "24h", "--license", "BROWSER-3")["rows"]
        peaks = [int(step.get_attribute("data-peak")) for step in driver.find_elements(By.CSS_SELECTOR, "#usage-chart .step")]
        if not peaks or peaks[-1] != usage[-1]["peak_in_use"] or peaks[-1] != 2:
            fail(f"the chart's last step is {peaks[-1:] }, the report's peak {usage[-1]['peak_in_use']}")
        seats_line = driver.find_element(By.CSS_SELECTOR, "#usage-chart .seats").get_attribute("data-seats")
        if seats_line != "3":
            fail(f"the chart's seats line is at {seats_line}, not 3")
        for view in ["30d", "12m"]:
            click_to(driver, driver.find_element(By.LINK_TEXT, view), f"range={view}")
            steps = driver.find_elements(By.CSS_SELECTOR, "#usage-chart .step")
            if not steps or steps[-1].get_attribute("data-peak") != "2":
                fail(f"the {view} chart does not end with today's peak of 2")
        click_to(driver, driver.find_element(By.LINK_TEXT, "24h"), "range=24h")
        print(f"license page: {len(listed)} sessions and the chart's peak {peaks[-1]} match the store")

        # Denials heatmap of BROWSER-1 against the denials report (rolled up within the aggregation window).
        def denials_in_report():
            rows = seatd.admin_json("report", "denials", "--by", "hour", "--from", "24h", "--license", "BROWSER-1")["rows"]
            return sum(r["count"] for r in rows)
        reported = wait_until("the denial in the report", denials_in_report)
        driver.get(seatd.dashboard + "/licenses/BROWSER-1")
        if int(text(driver, "#denial-total")) != reported:
            fail(f"the heatmap totals {text(driver, '#denial-total')} denials, the report {reported}")
        cells = [int(c.get_attribute("data-count")) for c in driver.find_elements(By.CSS_SELECTOR, "#denial-heatmap .cell")]
        if len(cells) != 7 * 24 or sum(cells) != reported:
            fail(f"the heatmap has {len(cells)} cells summing to {sum(cells)}")
        print(f"heatmap: {reported} denial(s), as the report says")

        # A POST without the CSRF token is refused and releases nothing.
        carol = seatd.admin_json("sessions", "--license", "BROWSER-1")["sessions"][0]["id"]
        refused = post_without_csrf(seatd.dashboard, cookie["value"], "/licenses/BROWSER-1/release", {"session": carol})
        if refused != 403:
            fail(f"a release without the CSRF token got {refused}, not 403")
        if {l["key"]: l["in_use"] for l in seatd.admin_json("status")["licenses"]}["BROWSER-1"] != 1:
            fail("the refused release freed the seat anyway")
        print("a release without the CSRF token: 403, seat kept")

        if screenshot:
            driver.get(seatd.dashboard + "/licenses/BROWSER-3")
            driver.save_screenshot(screenshot)
            print(f"screenshot: {screenshot}")

        # Force-release carol's seat from her license page; the seat is then free over the protocol.
        driver.get(seatd.dashboard + "/licenses/BROWSER-1")
        click_to(driver, driver.find_element(By.CSS_SELECTOR, f'tr[data-session="{carol}"] button.release'), "released=")
        if carol not in text(driver, "#notice"):
            fail("no notice of the release")
        if driver.find_elements(By.CSS_SELECTOR, f'tr[data-session="{carol}"]'):
            fail("the released session is still listed")
        wait_until("carol's seatctl run to stop on the loss", lambda: holders[2].poll() is not None)
        if seatd.acquire_once("BROWSER-1", "dave") != 0:
            fail("the released seat of BROWSER-1 could not be acquired over the protocol")
        audit = seatd.admin("audit", "--json")
        if "release" not in audit or "key:" not in audit:
            fail("the release is not in the audit log attributed to the key")
        print("force-release: the seat was free for the next acquire")

        # Reports page and its CSV, against `seatctl report --format csv`.
        today = time.strftime("%Y-%m-%d", time.gmtime())
        driver.get(seatd.dashboard + f"/reports?report=denials&by=day&from={today}&to={today}")
        table_rows = driver.find_elements(By.CSS_SELECTOR, "#report-table tbody tr")
        expected = seatd.admin("report", "denials", "--by", "day", "--from", today + "T00:00:00Z", "--format", "csv", raw=True)
        _, headers, csv = get(seatd.dashboard, cookie["value"], f"/reports.csv?report=denials&by=day&from={today}&to={today}")
        if csv != expected:
            fail(f"the CSV download differs from seatctl report --format csv:\n{csv!r}\n{expected!r}")
        if len(table_rows) != len(expected.strip().splitlines()) - 1:
            fail(f"the reports page shows {len(table_rows)} rows, the CSV {len(expected.strip().splitlines()) - 1}")
        if "attachment" not in headers.get("Content-Disposition", ""):
            fail("the CSV is not offered as a download")
        print(f"reports: {len(table_rows)} row(s) and the CSV match seatctl report")

        click_to(driver, driver.find_element(By.ID, "sign-out"), "/login")
        driver.get(seatd.dashboard + "/")
        if not driver.current_url.endswith("/login"):
            fail("still signed in after signing out")
        print("browser tests: all passed")
    except Exception as error:  # a selenium error (element not found) fails the test as an assertion does
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        if driver:
            print(f"--- the browser is at {driver.current_url}:\n{driver.find_element(By.TAG_NAME, 'main').text[:2000]}", file=sys.stderr)
        for holder in holders:
            if holder.poll() is not None:
                print(f"--- {' '.join(holder.args[-8:])} exited {holder.returncode}: {holder.stderr.read()}", file=sys.stderr)
        print("--- seatd log (last 40 lines)", file=sys.stderr)
        print("".join(open(seatd.log_path).readlines()[-40:]), file=sys.stderr)
        return 1
    finally:
        if driver:
            driver.quit()
        for holder in holders:
            if holder.poll() is None:
                holder.terminate()
                holder.wait(timeout=60)
        seatd.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *arguments):
        return None


def run_tls(build):
    """Off loopback the dashboard is HTTPS with the server's certificate (here the development
    CA's), plain HTTP is not answered, and the session cookie is Secure."""
    work = tempfile.mkdtemp(prefix="seatd-browser-tls-")
    seatd = Seatd(build, work, dashboard_address="0.0.0.0")
    try:
        if not seatd.dashboard.startswith("https://0.0.0.0:"):
            fail(f"a dashboard on 0.0.0.0 is not HTTPS: {seatd.dashboard}")
        url = seatd.dashboard.replace("0.0.0.0", "127.0.0.1")
        secret = seatd.admin_json("key", "create", "--role", "admin", "--label", "tls")["secret"]
        context = ssl.create_default_context(cafile=os.path.join(seatd.state, "tls", "ca.pem"))
        opener = urllib.request.build_opener(NoRedirects, urllib.request.HTTPSHandler(context=context))
        try:
            opener.open(url + "/login", data=urllib.parse.urlencode({"key": secret}).encode(), timeout=30)
            fail("the sign-in did not answer 303")
        except urllib.error.HTTPError as answer:
            cookie = answer.headers.get("Set-Cookie", "")
            if answer.code != 303 or "; Secure" not in cookie or "HttpOnly" not in cookie:
                fail(f"sign-in over HTTPS answered {answer.code} with Set-Cookie {cookie!r}")
        try:
            urllib.request.urlopen(url.replace("https://", "http://") + "/login", timeout=30)
            fail("the HTTPS dashboard answered plain HTTP")
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
            pass
        print("TLS off loopback: HTTPS with the server certificate, Secure cookie, no plain HTTP")
        return 0
    except AssertionError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        print("".join(open(seatd.log_path).readlines()[-40:]), file=sys.stderr)
        return 1
    finally:
        seatd.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("build", nargs="?", default=".build/debug")
    parser.add_argument("--screenshot")
    arguments = parser.parse_args()
    sys.exit(run(arguments.build, arguments.screenshot) or run_tls(arguments.build))
