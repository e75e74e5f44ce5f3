//! Why an asset was not archived. The `Display` of a [`Failure`] is the text stored in
//! `AssetRow.error` and shown by the player, so it is written for people and names a host, never
//! a path or a query.

use std::fmt;
use std::net::IpAddr;

use playback_warehouse::AssetStatus;

use crate::guard::AddressClass;

/// A fetch that did not give an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// An HTTP status other than 2xx (or a redirect without a usable `Location`):
    /// `403 from cdn.example.com`.
    Status { code: u16, host: String },
    /// No complete answer within the timeout: `timed out after 10 s from cdn.example.com`.
    TimedOut { after_ms: u64, host: String },
    /// The host did not resolve, or refused or broke the connection:
    /// `connection failed to cdn.example.com`.
    Connection { host: String },
    /// The body passed the size cap: `too large: over 20 MiB`.
    TooLarge { max_bytes: u64 },
    /// A media type that is not a stylesheet, font or image: `not an asset: text/html`.
    NotAnAsset { content_type: String },
    /// The guard or the project's rules refused it; never fetched.
    Refused(Refusal),
}

/// Why the guard did not let a hop connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `refused: 127.0.0.1 is a loopback address`, or `refused: redirect to 169.254.169.254
    /// is a link-local address` for a redirect hop.
    Address { ip: IpAddr, class: AddressClass, redirect: bool },
    /// `refused: origin https://x.example is denied`.
    DeniedOrigin { origin: String },
    /// More than five redirects: `refused: too many redirects`.
    TooManyRedirects,
    /// A redirect to another scheme: `refused: redirect to a ftp: URL`.
    Scheme { scheme: String },
}

impl Failure {
    /// The status stored for it.
    pub fn status(&self) -> AssetStatus {
        match self {
            Failure::Refused(_) => AssetStatus::Refused,
            _ => AssetStatus::Failed,
        }
    }

    /// Whether a retry may succeed: timeouts, connection errors, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::TimedOut { .. } | Failure::Connection { .. } => true,
            Failure::Status { code, .. } => *code == 429 || (500..600).contains(code),
            _ => false,
        }
    }

    /// The `reason` label of `playback_assets_failures_total`: a small closed set.
    pub fn label(&self) -> &'static str {
        match self {
            Failure::Status { .. } => "status",
            Failure::TimedOut { .. } => "timeout",
            Failure::Connection { .. } => "connection",
            Failure::TooLarge { .. } => "too_large",
            Failure::NotAnAsset { .. } => "not_an_asset",
            Failure::Refused(_) => "refused",
        }
    }
}

/// Every `reason` label of [`Failure::label`].
pub const FAILURE_LABELS: [&str; 6] = ["status", "timeout", "connection", "too_large", "not_an_asset", "refused"];

impl fmt::Display for Failure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status { code, host } => write!(formatter, "{code} from {host}"),
            Failure::TimedOut { after_ms, host } => {
                write!(formatter, "timed out after {} from {host}", duration_words(*after_ms))
            }
            Failure::Connection { host } => write!(formatter, "connection failed to {host}"),
            Failure::TooLarge { max_bytes } => write!(formatter, "too large: over {}", size_words(*max_bytes)),
            Failure::NotAnAsset { content_type } => write!(formatter, "not an asset: {content_type}"),
            Failure::Refused(refusal) => write!(formatter, "refused: {refusal}"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Address { ip, class, redirect: false } => write!(formatter, "{ip} is {class}"),
            Refusal::Address { ip, class, redirect: true } => write!(formatter, "redirect to {ip} is {class}"),
            Refusal::DeniedOrigin { origin } => write!(formatter, "origin {origin} is denied"),
            Refusal::TooManyRedirects => write!(formatter, "too many redirects"),
            Refusal::Scheme { scheme } => write!(formatter, "redirect to a {scheme}: URL"),
        }
    }
}

/// `10 s`, or `1500 ms` when it is not whole seconds.
fn duration_words(ms: u64) -> String {
    if ms / 1000 * 1000 == ms {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// `20 MiB`, `512 KiB`, or `1000 bytes`.
fn size_words(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const KIB: u64 = 1 << 10;
    if bytes >= MIB && bytes / MIB * MIB == bytes {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes / KIB * KIB == bytes {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_follow_the_contract() {
        let host = || "cdn.example.com".to_string();
        assert_eq!(Failure::Status { code: 403, host: host() }.to_string(), "403 from cdn.example.com");
        assert_eq!(
            Failure::TimedOut { after_ms: 10_000, host: host() }.to_string(),
            "timed out after 10 s from cdn.example.com"
        );
        assert_eq!(
            Failure::TimedOut { after_ms: 250, host: host() }.to_string(),
            "timed out after 250 ms from cdn.example.com"
        );
        assert_eq!(Failure::Connection { host: host() }.to_string(), "connection failed to cdn.example.com");
        assert_eq!(Failure::TooLarge { max_bytes: 20 << 20 }.to_string(), "too large: over 20 MiB");
        assert_eq!(Failure::TooLarge { max_bytes: 1000 }.to_string(), "too large: over 1000 bytes");
        assert_eq!(Failure::NotAnAsset { content_type: "text/html".into() }.to_string(), "not an asset: text/html");
        assert_eq!(
            Failure::Refused(Refusal::DeniedOrigin { origin: "https://x.example".into() }).to_string(),
            "refused: origin https://x.example is denied"
        );
        assert_eq!(Failure::Refused(Refusal::TooManyRedirects).to_string(), "refused: too many redirects");
        assert_eq!(Failure::Refused(Refusal::TooManyRedirects).status(), AssetStatus::Refused);
        assert_eq!(Failure::Connection { host: host() }.status(), AssetStatus::Failed);
        for failure in [Failure::Status { code: 429, host: host() }, Failure::Status { code: 503, host: host() }] {
            assert!(failure.is_transient());
        }
        assert!(!Failure::Status { code: 404, host: host() }.is_transient());
        assert!(!Failure::TooLarge { max_bytes: 1 }.is_transient());
    }
}
