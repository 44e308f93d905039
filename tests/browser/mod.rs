//! A headless Chromium driven over WebDriver, for the tests that look at the book in a real
//! browser.
//!
//! WebDriver is JSON over HTTP: this module speaks it to the system's `chromedriver` through a
//! plain `TcpStream`, with the tests' own JSON reader, so that no crate and no downloaded browser
//! is needed. It wants Debian's `chromium` and `chromium-driver` (`apt-get install chromium
//! chromium-driver`), or the binaries named by `STEPLOOP_CHROMIUM` and `STEPLOOP_CHROMEDRIVER`.
//!
//! ```ignore
//! let browser = Browser::start()?;                 // chromedriver on a free port
//! let page = browser.session(Viewport::DESKTOP)?;  // a fresh Chromium, its own profile
//! page.open(&file_url(&book.join("ch06-tasks.html")))?;
//! let text = page.script("return document.title", &[])?;
//! page.save_screenshot(&page.find(".steploop-stepper")?, &out.join("stepper.png"))?;
//! ```
//!
//! Every wait has a deadline and every request a timeout: a browser that hangs fails the test
//! with a message, it never freezes it. Chromium runs with the flags that keep it off the
//! network (the machines that run the tests may have none, and must not be asked).

#![allow(dead_code)] // each test uses the part it needs

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::json::{self, Value};

/// The WebDriver name of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long one WebDriver request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A window size (CSS pixels) and the device pixel ratio to emulate.
#[derive(Clone, Copy, Debug)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    /// 1 for a desktop window; a phone's viewport is emulated at its own ratio.
    pub pixel_ratio: f64,
    pub mobile: bool,
}

impl Viewport {
    /// A desktop window: the book's column at full width, with its sidebar closed.
    pub const DESKTOP: Viewport = Viewport {
        width: 1280,
        height: 900,
        pixel_ratio: 1.0,
        mobile: false,
    };
    /// A phone held upright (390 × 844 CSS pixels, as many current phones).
    pub const PHONE: Viewport = Viewport {
        width: 390,
        height: 844,
        pixel_ratio: 2.0,
        mobile: true,
    };
}

/// Where a binary is: the environment variable, or else the Debian path.
fn binary(variable: &str, default: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: install Chromium and its driver (Debian: apt-get install chromium \
             chromium-driver), or name them with STEPLOOP_CHROMIUM and STEPLOOP_CHROMEDRIVER",
            path.display()
        ))
    }
}

/// A running `chromedriver`, stopped when dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    chromium: PathBuf,
    profiles: PathBuf,
}

impl Browser {
    /// Starts `chromedriver` on a free local port and waits until it is ready.
    pub fn start() -> Result<Browser, String> {
        let chromium = binary("STEPLOOP_CHROMIUM", "/usr/bin/chromium")?;
        let chromedriver = binary("STEPLOOP_CHROMEDRIVER", "/usr/bin/chromedriver")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("no free local port: {e}"))?
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let profiles =
            std::env::temp_dir().join(format!("steploop-browser-{}-{port}", std::process::id()));
        let browser = Browser {
            driver,
            port,
            chromium,
            profiles,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(status) = http(port, "GET", "/status", None) {
                if status.get("value").get("ready") == &Value::Bool(true) {
                    return Ok(browser);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "chromedriver did not answer on port {port} within 30 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts a fresh Chromium (a profile of its own, no network) with the given viewport.
    pub fn session(&self, viewport: Viewport) -> Result<Session, String> {
        self.session_with(viewport, true)
    }

    /// A fresh Chromium whose pages run no JavaScript (as a reader who switched it off).
    pub fn session_without_javascript(&self, viewport: Viewport) -> Result<Session, String> {
        self.session_with(viewport, false)
    }

    fn session_with(&self, viewport: Viewport, javascript: bool) -> Result<Session, String> {
        static SESSIONS: AtomicUsize = AtomicUsize::new(0);
        let profile = self.profiles.join(format!(
            "profile-{}",
            SESSIONS.fetch_add(1, Ordering::Relaxed)
        ));
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ]
        .iter()
        .map(|flag| flag.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        if !viewport.mobile {
            args.push(format!(
                "--window-size={},{}",
                viewport.width, viewport.height
            ));
        }
        let mut options = vec![
            ("binary", string(&self.chromium.display().to_string())),
            (
                "args",
                Value::Array(args.iter().map(|a| string(a)).collect()),
            ),
        ];
        if viewport.mobile {
            let metrics = object(vec![
                ("width", number(viewport.width)),
                ("height", number(viewport.height)),
                ("pixelRatio", Value::Number(viewport.pixel_ratio)),
                ("mobile", Value::Bool(true)),
                ("touch", Value::Bool(true)),
            ]);
            options.push(("mobileEmulation", object(vec![("deviceMetrics", metrics)])));
        }
        if !javascript {
            let block = "profile.managed_default_content_settings.javascript";
            options.push(("prefs", object(vec![(block, Value::Number(2.0))])));
        }
        let capabilities = object(vec![(
            "capabilities",
            object(vec![(
                "alwaysMatch",
                object(vec![
                    ("browserName", string("chrome")),
                    ("goog:chromeOptions", object(options)),
                ]),
            )]),
        )]);
        let answer = http(self.port, "POST", "/session", Some(&capabilities))?;
        let id = answer
            .get("value")
            .get("sessionId")
            .as_str()
            .ok_or_else(|| format!("chromedriver started no session: {answer}"))?
            .to_string();
        Ok(Session {
            port: self.port,
            id,
            profile,
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profiles);
    }
}

/// One browser window, closed when dropped.
pub struct Session {
    port: u16,
    id: String,
    profile: PathBuf,
}

/// An element of the page.
#[derive(Clone, Debug)]
pub struct Element(String);

/// Keys as WebDriver names them.
pub mod key {
    pub const ARROW_LEFT: &str = "\u{E012}";
    pub const ARROW_RIGHT: &str = "\u{E014}";
    pub const PAGE_UP: &str = "\u{E00E}";
    pub const PAGE_DOWN: &str = "\u{E00F}";
    pub const END: &str = "\u{E010}";
    pub const HOME: &str = "\u{E011}";
    pub const SHIFT: &str = "\u{E008}";
}

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let answer = http(
            self.port,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )?;
        Ok(answer.get("value").clone())
    }

    /// Opens `url` and waits until the page has loaded.
    pub fn open(&self, url: &str) -> Result<(), String> {
        self.call("POST", "/url", Some(&object(vec![("url", string(url))])))?;
        Ok(())
    }

    /// Runs `body` as a function in the page (`arguments` are `args`) and returns its value.
    pub fn script(&self, body: &str, args: &[Value]) -> Result<Value, String> {
        let request = object(vec![
            ("script", string(body)),
            ("args", Value::Array(args.to_vec())),
        ]);
        self.call("POST", "/execute/sync", Some(&request))
    }

    /// Waits until `condition` (a script body) returns true, for at most `limit`.
    pub fn wait_for(&self, condition: &str, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        loop {
            if self.script(condition, &[])? == Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("still not true after {limit:?}: {condition}"));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The first element that matches a CSS selector.
    pub fn find(&self, selector: &str) -> Result<Element, String> {
        let request = object(vec![
            ("using", string("css selector")),
            ("value", string(selector)),
        ]);
        let found = self.call("POST", "/element", Some(&request))?;
        found
            .get(ELEMENT)
            .as_str()
            .map(|id| Element(id.to_string()))
            .ok_or_else(|| format!("no element {selector}: {found}"))
    }

    /// Every element that matches a CSS selector, in document order.
    pub fn find_all(&self, selector: &str) -> Result<Vec<Element>, String> {
        let request = object(vec![
            ("using", string("css selector")),
            ("value", string(selector)),
        ]);
        let found = self.call("POST", "/elements", Some(&request))?;
        Ok(found
            .as_array()
            .iter()
            .filter_map(|element| element.get(ELEMENT).as_str())
            .map(|id| Element(id.to_string()))
            .collect())
    }

    /// The element as a script argument.
    pub fn arg(element: &Element) -> Value {
        object(vec![(ELEMENT, string(&element.0))])
    }

    /// The element's rendered text, as the user sees it.
    pub fn text(&self, element: &Element) -> Result<String, String> {
        let text = self.call("GET", &format!("/element/{}/text", element.0), None)?;
        Ok(text.as_str().unwrap_or_default().to_string())
    }

    /// The element's size on the page, in CSS pixels: (width, height).
    pub fn size(&self, element: &Element) -> Result<(f64, f64), String> {
        let rect = self.call("GET", &format!("/element/{}/rect", element.0), None)?;
        let read = |key| rect.get(key).as_f64().unwrap_or(-1.0);
        Ok((read("width"), read("height")))
    }

    /// Presses keys, as the keyboard would, on whatever has the focus: each of `keys` goes
    /// down and up in turn, while `held` (a modifier, or nothing) is held down.
    pub fn press(&self, held: Option<&str>, keys: &[&str]) -> Result<(), String> {
        let mut actions = Vec::new();
        let action =
            |kind: &str, key: &str| object(vec![("type", string(kind)), ("value", string(key))]);
        if let Some(held) = held {
            actions.push(action("keyDown", held));
        }
        for key in keys {
            actions.push(action("keyDown", key));
            actions.push(action("keyUp", key));
        }
        if let Some(held) = held {
            actions.push(action("keyUp", held));
        }
        let request = object(vec![(
            "actions",
            Value::Array(vec![object(vec![
                ("type", string("key")),
                ("id", string("keyboard")),
                ("actions", Value::Array(actions)),
            ])]),
        )]);
        self.call("POST", "/actions", Some(&request))?;
        self.call("DELETE", "/actions", None)?;
        Ok(())
    }

    /// Clicks the element in its middle.
    pub fn click(&self, element: &Element) -> Result<(), String> {
        self.call(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(&object(vec![])),
        )?;
        Ok(())
    }

    /// Saves a PNG of the element to `path`, scrolled to the middle of the window first (away
    /// from a page's fixed header).
    pub fn save_screenshot(&self, element: &Element, path: &Path) -> Result<(), String> {
        self.script(
            "arguments[0].scrollIntoView({block: 'center'})",
            &[Session::arg(element)],
        )?;
        let data = self.call("GET", &format!("/element/{}/screenshot", element.0), None)?;
        let png = base64_decode(data.as_str().unwrap_or_default())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = http(self.port, "DELETE", &format!("/session/{}", self.id), None);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A `file://` URL for a local path.
pub fn file_url(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut url = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(byte as char)
            }
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

pub fn string(text: &str) -> Value {
    Value::String(text.to_string())
}

fn number(n: u32) -> Value {
    Value::Number(f64::from(n))
}

pub fn object(members: Vec<(&str, Value)>) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}

/// One HTTP/1.1 request to the driver; the answer's JSON, or the WebDriver error it reports.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("cannot reach chromedriver on port {port}: {e}"))?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).ok();
    stream.set_write_timeout(Some(REQUEST_TIMEOUT)).ok();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; \
         charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{method} {path}: {e}"))?;
    // The answer's head, then as many bytes as it announces (the driver may keep the
    // connection open, so reading to its end could wait for the timeout).
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16384];
    let split = loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break split;
        }
        let n = stream
            .read(&mut buffer)
            .map_err(|e| format!("{method} {path}: no answer: {e}"))?;
        if n == 0 {
            return Err(format!(
                "{method} {path}: the driver closed without answering"
            ));
        }
        raw.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut content = raw[split + 4..].to_vec();
    let length = head.lines().find_map(|line| {
        let value = line.strip_prefix("content-length:")?;
        value.trim().parse::<usize>().ok()
    });
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let complete = match length {
            Some(length) => content.len() >= length,
            None if chunked => content.windows(5).any(|w| w == b"0\r\n\r\n"),
            None => false,
        };
        if complete {
            break;
        }
        let n = stream
            .read(&mut buffer)
            .map_err(|e| format!("{method} {path}: the answer stopped: {e}"))?;
        if n == 0 {
            break; // closed: what came is all there is
        }
        content.extend_from_slice(&buffer[..n]);
    }
    if chunked {
        content = dechunk(&content)?;
    }
    let status: u32 = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no status in {head:?}"))?;
    let text = String::from_utf8(content).map_err(|_| format!("{method} {path}: not UTF-8"))?;
    let value = json::parse(&text).map_err(|e| format!("{method} {path}: {e}: {text}"))?;
    if status != 200 {
        let error = value.get("value");
        return Err(format!(
            "{method} {path}: {status} {}: {}",
            error.get("error").as_str().unwrap_or("error"),
            error.get("message").as_str().unwrap_or(&text)
        ));
    }
    Ok(value)
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a malformed chunk")?;
        let size = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .ok_or("a malformed chunk size")?;
        if size == 0 {
            return Ok(out);
        }
        let start = end + 2;
        out.extend_from_slice(body.get(start..start + size).ok_or("a short chunk")?);
        body = body.get(start + size + 2..).ok_or("a short chunk")?;
    }
}

fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut count) = (0u32, 0);
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => return Err(format!("not base64: {:?}", byte as char)),
        };
        bits = bits << 6 | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Ok(out)
}

#[test]
fn base64_and_chunks_are_read() {
    assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
    assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
    assert_eq!(
        dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap(),
        b"abcde"
    );
}
