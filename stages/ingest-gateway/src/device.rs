use playback_schemas::Device;

/// Parses a User-Agent into browser, version, OS and device type. Screen size is left at 0;
/// it comes from the rrweb Meta event.
pub fn parse_device(user_agent: &str) -> Device {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let Some(result) = parsed else {
        return Device {
            user_agent: user_agent.to_string(),
            browser: "Unknown".into(),
            os: "Unknown".into(),
            device_type: "other".into(),
            ..Device::default()
        };
    };
    let device_type = device_type(user_agent, result.category, result.os);
    let known = |value: &str| if value == "UNKNOWN" { String::new() } else { value.to_string() };
    Device {
        user_agent: user_agent.to_string(),
        browser: if result.name == "UNKNOWN" { "Unknown".into() } else { result.name.to_string() },
        browser_version: known(result.version),
        os: if result.os == "UNKNOWN" { "Unknown".into() } else { result.os.to_string() },
        os_version: known(&result.os_version),
        device_type: device_type.into(),
        screen_width: 0,
        screen_height: 0,
    }
}

fn device_type(user_agent: &str, category: &str, os: &str) -> &'static str {
    let tablet = os == "iPad"
        || user_agent.contains("Tablet")
        || (user_agent.contains("Android") && !user_agent.contains("Mobile"));
    match category {
        "crawler" => "bot",
        _ if tablet => "tablet",
        "smartphone" | "mobilephone" => "mobile",
        "pc" => "desktop",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desktop_chrome_on_linux() {
        let device = parse_device(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
        );
        assert_eq!(
            (device.browser.as_str(), device.os.as_str(), device.device_type.as_str()),
            ("Chrome", "Linux", "desktop")
        );
        assert_eq!(device.browser_version, "156.0.0.0");
    }

    #[test]
    fn iphone_safari_is_mobile() {
        let device = parse_device(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        );
        assert_eq!(
            (device.browser.as_str(), device.os.as_str(), device.device_type.as_str()),
            ("Safari", "iPhone", "mobile")
        );
    }

    #[test]
    fn ipad_and_android_tablet_are_tablets() {
        let ipad = parse_device("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1");
        assert_eq!(ipad.device_type, "tablet");
        let android = parse_device("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36");
        assert_eq!(android.device_type, "tablet");
    }

    #[test]
    fn firefox_on_windows_and_bots() {
        let firefox = parse_device("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0");
        assert_eq!((firefox.browser.as_str(), firefox.device_type.as_str()), ("Firefox", "desktop"));
        assert!(firefox.os.starts_with("Windows"));
        let bot = parse_device("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        assert_eq!(bot.device_type, "bot");
        assert_eq!(parse_device("").device_type, "other");
    }
}
