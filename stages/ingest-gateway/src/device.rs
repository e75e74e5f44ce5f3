//! The visitor's device from its User-Agent: OS name and version, browser name and version,
//! and device type.
//!
//! Names are what people call them, not what the User-Agent says: `iOS 17.4` (not "iPhone"),
//! `Windows 10` (not "NT 10.0"), `macOS 10.15`, `Edge 124`, `Samsung Internet 25`, `Android
//! WebView 124`. Browsers that build on Chrome name Chrome in their User-Agent too, so they are
//! looked for first. Versions keep at most two components, without a trailing `.0`
//! (`124.0.6367.82` → `124`, `17.4.1` → `17.4`). woothee decides what this parser does not know
//! (rare browsers and systems, crawlers). Screen and viewport sizes are left at 0: they come
//! from the batch (`batch.rs`).

use playback_schemas::Device;

/// The OS name and version.
fn operating_system(user_agent: &str) -> Option<(&'static str, String)> {
    if let Some(version) = apple_mobile_version(user_agent) {
        return Some(("iOS", version));
    }
    if user_agent.contains("CrOS ") {
        // The number after `CrOS <arch>` is a platform build, not the ChromeOS version people know.
        return Some(("ChromeOS", String::new()));
    }
    if let Some(version) = version_after(user_agent, "Android ") {
        return Some(("Android", version));
    }
    if user_agent.contains("Android") {
        return Some(("Android", String::new()));
    }
    if user_agent.contains("Windows Phone") {
        return Some(("Windows Phone", version_after(user_agent, "Windows Phone ").unwrap_or_default()));
    }
    if let Some(nt) = raw_version_after(user_agent, "Windows NT ") {
        return Some(("Windows", windows_release(nt).to_string()));
    }
    if user_agent.contains("Windows") {
        return Some(("Windows", String::new()));
    }
    if let Some(version) = raw_version_after(user_agent, "Mac OS X ") {
        return Some(("macOS", short_version(&version.replace('_', "."))));
    }
    if user_agent.contains("Macintosh") {
        return Some(("macOS", String::new()));
    }
    if user_agent.contains("Linux") || user_agent.contains("X11") {
        return Some(("Linux", String::new()));
    }
    None
}

/// The iOS version of an iPhone, iPad or iPod: `CPU iPhone OS 17_4 like Mac OS X`, `CPU OS 17_4`.
fn apple_mobile_version(user_agent: &str) -> Option<String> {
    if !["iPhone", "iPad", "iPod"].iter().any(|device| user_agent.contains(device)) {
        return None;
    }
    let version = raw_version_after(user_agent, " OS ").map(|raw| short_version(&raw.replace('_', ".")));
    Some(version.unwrap_or_default())
}

/// The Windows release of an NT version; Windows 11 still says NT 10.0.
fn windows_release(nt: &str) -> &'static str {
    match nt {
        "10.0" => "10",
        "6.3" => "8.1",
        "6.2" => "8",
        "6.1" => "7",
        "6.0" => "Vista",
        "5.1" | "5.2" => "XP",
        _ => "",
    }
}

/// Browsers by a token of their own, most specific first: every one of these also says
/// `Chrome/` or `Safari/`, some both.
const BROWSER_TOKENS: [(&str, &str); 14] = [
    ("SamsungBrowser/", "Samsung Internet"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("Edg/", "Edge"),
    ("Edge/", "Edge"),
    ("OPR/", "Opera"),
    ("OPiOS/", "Opera"),
    ("YaBrowser/", "Yandex Browser"),
    ("Vivaldi/", "Vivaldi"),
    ("UCBrowser/", "UC Browser"),
    ("CriOS/", "Chrome"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome/", "Chrome"),
];

/// The browser name and version.
fn browser(user_agent: &str) -> Option<(&'static str, String)> {
    for (token, name) in BROWSER_TOKENS {
        if let Some(version) = version_after(user_agent, token) {
            return Some((name, version));
        }
    }
    let chrome = version_after(user_agent, "Chrome/");
    // An Android app's WebView marks itself with `; wv)`; older ones send `Version/4.0` before Chrome.
    let webview = user_agent.contains("; wv)") || (user_agent.contains("Version/4.0") && chrome.is_some());
    if user_agent.contains("Android") && webview {
        return Some(("Android WebView", chrome.unwrap_or_default()));
    }
    if let Some(version) = chrome {
        return Some(("Chrome", version));
    }
    if let Some(version) = version_after(user_agent, "Chromium/") {
        return Some(("Chromium", version));
    }
    if user_agent.contains("Safari/") || (user_agent.contains("AppleWebKit/") && user_agent.contains("Mobile/")) {
        if let Some(version) = version_after(user_agent, "Version/") {
            return Some(("Safari", version));
        }
    }
    if let Some(version) = version_after(user_agent, "MSIE ") {
        return Some(("Internet Explorer", version));
    }
    if user_agent.contains("Trident/") {
        return Some(("Internet Explorer", version_after(user_agent, "rv:").unwrap_or_default()));
    }
    None
}

/// The digits and dots right after `token`, if any.
fn raw_version_after<'a>(user_agent: &'a str, token: &str) -> Option<&'a str> {
    let start = user_agent.find(token)? + token.len();
    let rest = &user_agent[start..];
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(rest.len());
    let version = rest[..end].trim_end_matches(['.', '_']);
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        None
    } else {
        Some(version)
    }
}

/// The version after `token`, shortened (see [`short_version`]).
fn version_after(user_agent: &str, token: &str) -> Option<String> {
    raw_version_after(user_agent, token).map(short_version)
}

/// At most two components, without a trailing `.0`: `124.0.6367.82` → `124`, `17.4.1` → `17.4`.
fn short_version(version: &str) -> String {
    let mut parts = version.split('.').filter(|part| !part.is_empty());
    let major = parts.next().unwrap_or("");
    match parts.next() {
        Some(minor) if minor.trim_start_matches('0').is_empty() => major.to_string(),
        Some(minor) => format!("{major}.{minor}"),
        None => major.to_string(),
    }
}

/// Crawlers and tools that woothee does not know.
fn looks_like_a_bot(user_agent: &str) -> bool {
    let lower = user_agent.to_ascii_lowercase();
    ["bot/", "bot;", "bot)", "bot-", "bot ", "crawler", "spider", "slurp", "curl/", "wget/", "python-requests/"]
        .iter()
        .any(|word| lower.contains(word))
}

fn device_type(user_agent: &str, os: &str, woothee_category: &str) -> &'static str {
    if woothee_category == "crawler" || looks_like_a_bot(user_agent) {
        return "bot";
    }
    let android = os == "Android";
    let tablet =
        user_agent.contains("iPad") || user_agent.contains("Tablet") || (android && !user_agent.contains("Mobile"));
    if tablet {
        return "tablet";
    }
    let mobile = user_agent.contains("iPhone")
        || user_agent.contains("iPod")
        || android
        || user_agent.contains("Windows Phone")
        || user_agent.contains("Mobile");
    match (mobile, os) {
        (true, _) => "mobile",
        (false, "Windows" | "macOS" | "Linux" | "ChromeOS") => "desktop",
        _ => match woothee_category {
            "smartphone" | "mobilephone" => "mobile",
            "pc" => "desktop",
            _ => "other",
        },
    }
}

/// Parses a User-Agent into browser, version, OS and device type. Sizes are left at 0.
pub fn parse_device(user_agent: &str) -> Device {
    let fallback = woothee::parser::Parser::new().parse(user_agent);
    let known = |value: &str| if value.is_empty() || value == "UNKNOWN" { None } else { Some(value.to_string()) };
    let (os, os_version) = match operating_system(user_agent) {
        Some((name, version)) => (name.to_string(), version),
        None => {
            let name = fallback.as_ref().and_then(|result| known(result.os));
            let version = fallback.as_ref().and_then(|result| known(&result.os_version));
            (name.unwrap_or_else(|| "Unknown".into()), version.map(|v| short_version(&v)).unwrap_or_default())
        }
    };
    let (browser, browser_version) = match browser(user_agent) {
        Some((name, version)) => (name.to_string(), version),
        None => {
            let name = fallback.as_ref().and_then(|result| known(result.name));
            // woothee reads no version for some crawlers (`Googlebot/2.1`) and puts words in it for others.
            let version = fallback
                .as_ref()
                .and_then(|result| known(result.version))
                .filter(|version| version.starts_with(|c: char| c.is_ascii_digit()))
                .map(|version| short_version(&version))
                .or_else(|| name.as_ref().and_then(|name| version_after(user_agent, &format!("{name}/"))));
            (name.unwrap_or_else(|| "Unknown".into()), version.unwrap_or_default())
        }
    };
    let category = fallback.as_ref().map_or("", |result| result.category);
    let device_type = if user_agent.trim().is_empty() { "other" } else { device_type(user_agent, &os, category) };
    Device {
        user_agent: user_agent.to_string(),
        browser,
        browser_version,
        os,
        os_version,
        device_type: device_type.into(),
        ..Device::default()
    }
}

#[cfg(test)]
mod tests;
