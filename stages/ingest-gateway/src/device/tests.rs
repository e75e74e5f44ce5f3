//! The parser on real User-Agent strings of current browsers.

use super::*;

/// User-Agent, browser, browser version, OS, OS version, device type.
const CASES: &[(&str, &str, &str, &str, &str, &str)] = &[
    // Chrome
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome", "131", "Windows", "10", "desktop"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome", "131", "macOS", "10.15", "desktop"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome", "131", "Linux", "", "desktop"),
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Chrome", "131", "Android", "10", "mobile"),
    ("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        "Chrome", "126", "Android", "14", "tablet"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        "Chrome", "131", "iOS", "17.7", "mobile"),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome", "131", "ChromeOS", "", "desktop"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
        "Chrome", "156", "Linux", "", "desktop"),
    // Edge
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Edge", "131", "Windows", "10", "desktop"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
        "Edge", "131", "macOS", "10.15", "desktop"),
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
        "Edge", "131", "Android", "10", "mobile"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15",
        "Edge", "131.2903", "iOS", "17.7", "mobile"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045",
        "Edge", "18.19045", "Windows", "10", "desktop"),
    // Firefox
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox", "133", "Windows", "10", "desktop"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox", "133", "macOS", "10.15", "desktop"),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox", "133", "Linux", "", "desktop"),
    ("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        "Firefox", "133", "Android", "14", "mobile"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
        "Firefox", "133", "iOS", "17.7", "mobile"),
    // Safari
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Safari", "18.1", "macOS", "10.15", "desktop"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Safari", "17.4", "iOS", "17.4", "mobile"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1",
        "Safari", "18.1", "iOS", "18.1", "mobile"),
    ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Safari", "17.4", "iOS", "17.4", "tablet"),
    // Samsung Internet, Android WebView, Opera, Internet Explorer
    ("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
        "Samsung Internet", "25", "Android", "14", "mobile"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36",
        "Android WebView", "131", "Android", "14", "mobile"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
        "Opera", "115", "Windows", "10", "desktop"),
    ("Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "Internet Explorer", "11", "Windows", "7", "desktop"),
    // Crawlers and tools
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot", "2.1", "Unknown", "", "bot"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "bingbot", "2", "Unknown", "", "bot"),
    ("curl/8.5.0", "HTTP Library", "", "Unknown", "", "bot"),
];

#[test]
fn real_user_agents_give_os_browser_and_device_type() {
    let mut wrong = Vec::new();
    for (user_agent, browser, browser_version, os, os_version, device_type) in CASES {
        let device = parse_device(user_agent);
        let got = (
            device.browser.as_str(),
            device.browser_version.as_str(),
            device.os.as_str(),
            device.os_version.as_str(),
            device.device_type.as_str(),
        );
        if got != (*browser, *browser_version, *os, *os_version, *device_type) {
            wrong.push(format!("{user_agent}\n  got {got:?}"));
        }
        assert_eq!(device.user_agent, *user_agent);
        assert_eq!((device.screen_width, device.viewport_width), (0, 0), "sizes come from the batch");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_crawler_posing_as_a_phone_is_a_bot() {
    let device = parse_device("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
    assert_eq!(device.device_type, "bot");
}

#[test]
fn nothing_known_is_unknown() {
    let empty = parse_device("");
    assert_eq!(
        (empty.browser.as_str(), empty.os.as_str(), empty.device_type.as_str()),
        ("Unknown", "Unknown", "other")
    );
    let odd = parse_device("SomethingElse/1.0");
    assert_eq!((odd.browser.as_str(), odd.os.as_str()), ("Unknown", "Unknown"));
}

#[test]
fn versions_keep_two_components_without_a_trailing_zero() {
    for (raw, short) in [
        ("124.0.6367.82", "124"),
        ("17.4.1", "17.4"),
        ("17.4", "17.4"),
        ("25.0", "25"),
        ("10", "10"),
        ("8.1.0", "8.1"),
        ("2.05", "2.05"),
    ] {
        assert_eq!(short_version(raw), short, "{raw}");
    }
}
