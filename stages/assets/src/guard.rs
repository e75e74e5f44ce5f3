//! The SSRF guard: which addresses an asset fetch may connect to.
//!
//! Every hop of a fetch (the first URL and each redirect) is checked before it connects:
//! 1. an origin in the project's `denied_origins` is refused;
//! 2. the host is resolved ([`Resolver`]); an IP literal is its own address;
//! 3. unless the origin is in `allowed_origins`, every address must be public: loopback,
//!    private, link-local, metadata, unspecified, broadcast, multicast, shared, documentation,
//!    unique-local and reserved addresses are refused, IPv4-mapped (and NAT64) IPv6 forms
//!    included;
//! 4. the fetch connects only to the addresses checked here ([`Checked::addrs`]), so a second
//!    lookup can never answer differently (DNS rebinding).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use url::Url;

use crate::failure::{Failure, Refusal};

/// Looks host names up; tests map names to addresses of their choice.
#[async_trait]
pub trait Resolver: Send + Sync + 'static {
    /// The addresses of `host`.
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The system's resolver (getaddrinfo on a blocking thread).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

#[async_trait]
impl Resolver for SystemResolver {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        let addrs = tokio::net::lookup_host((host, 0)).await?;
        Ok(addrs.map(|addr| addr.ip()).collect())
    }
}

/// Why an address is not public: the words of the refusal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Loopback,
    Private,
    LinkLocal,
    Metadata,
    Unspecified,
    Broadcast,
    Multicast,
    Shared,
    Documentation,
    UniqueLocal,
    /// Reserved for future use, benchmarking or protocol assignments: never a website.
    Reserved,
}

impl fmt::Display for AddressClass {
    /// With its article: `a loopback address`, `an unspecified address`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = match self {
            AddressClass::Loopback => "a loopback",
            AddressClass::Private => "a private",
            AddressClass::LinkLocal => "a link-local",
            AddressClass::Metadata => "a metadata",
            AddressClass::Unspecified => "an unspecified",
            AddressClass::Broadcast => "a broadcast",
            AddressClass::Multicast => "a multicast",
            AddressClass::Shared => "a shared",
            AddressClass::Documentation => "a documentation",
            AddressClass::UniqueLocal => "a unique-local",
            AddressClass::Reserved => "a reserved",
        };
        write!(formatter, "{words} address")
    }
}

/// Why `ip` may not be fetched from, or `None` for a public address.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = if a == 127 {
        AddressClass::Loopback
    } else if a == 0 {
        AddressClass::Unspecified
    } else if a == 169 && b == 254 {
        AddressClass::LinkLocal
    } else if ip == Ipv4Addr::new(100, 100, 100, 200) {
        AddressClass::Metadata
    } else if a == 10 || (a == 172 && (16..32).contains(&b)) || (a == 192 && b == 168) {
        AddressClass::Private
    } else if a == 100 && (64..128).contains(&b) {
        AddressClass::Shared
    } else if ip == Ipv4Addr::BROADCAST {
        AddressClass::Broadcast
    } else if (224..240).contains(&a) {
        AddressClass::Multicast
    } else if (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113) {
        AddressClass::Documentation
    } else if a >= 240 || (a == 198 && (b == 18 || b == 19)) || (a, b, c) == (192, 0, 0) {
        AddressClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return classify_v4(mapped);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(Ipv4Addr::from(((segments[6] as u32) << 16) | segments[7] as u32));
    }
    let class = if ip == Ipv6Addr::LOCALHOST {
        AddressClass::Loopback
    } else if ip == Ipv6Addr::UNSPECIFIED {
        AddressClass::Unspecified
    } else if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        AddressClass::Metadata
    } else if segments[0] & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if segments[0] & 0xfe00 == 0xfc00 {
        AddressClass::UniqueLocal
    } else if segments[0] & 0xff00 == 0xff00 {
        AddressClass::Multicast
    } else if segments[0] == 0x2001 && segments[1] == 0xdb8 {
        AddressClass::Documentation
    } else if segments[..6] == [0, 0, 0, 0, 0, 0] {
        // The deprecated IPv4-compatible form ::a.b.c.d.
        return classify_v4(Ipv4Addr::from(((segments[6] as u32) << 16) | segments[7] as u32))
            .or(Some(AddressClass::Reserved));
    } else {
        return None;
    };
    Some(class)
}

/// The origin of `url` as `allowed_origins` / `denied_origins` name it: `https://x.example`,
/// `http://127.0.0.1:5000` (default ports left out).
pub fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// An origin as written in config, in the form [`origin_of`] gives (so `HTTPS://X.example/`
/// and `https://x.example:443` name the same origin).
pub fn normalize_origin(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(url) => origin_of(&url),
        Err(_) => text.trim().trim_end_matches('/').to_ascii_lowercase(),
    }
}

/// A project's origin rules, normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginRules {
    /// Origins whose addresses are not checked (an intranet CDN, a test server).
    pub allowed: Vec<String>,
    /// Origins never fetched.
    pub denied: Vec<String>,
}

impl OriginRules {
    /// Rules from origins as written in config.
    pub fn new(allowed: &[String], denied: &[String]) -> Self {
        OriginRules {
            allowed: allowed.iter().map(|origin| normalize_origin(origin)).collect(),
            denied: denied.iter().map(|origin| normalize_origin(origin)).collect(),
        }
    }
}

/// A hop that passed the guard: where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The host as the URL names it (without IPv6 brackets).
    pub host: String,
    /// The only addresses the fetch may connect to.
    pub addrs: Vec<SocketAddr>,
}

/// Checks hops against the origin rules and the address classes.
#[derive(Clone)]
pub struct Guard {
    resolver: Arc<dyn Resolver>,
}

impl Guard {
    pub fn new(resolver: Arc<dyn Resolver>) -> Self {
        Guard { resolver }
    }

    /// Checks one hop: `url` is the first URL of a fetch, or where a redirect points
    /// (`redirect`), which words the refusal `redirect to ...`.
    pub async fn check(&self, url: &Url, rules: &OriginRules, redirect: bool) -> Result<Checked, Failure> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Failure::Refused(Refusal::Scheme { scheme: url.scheme().to_string() }));
        }
        let origin = origin_of(url);
        if rules.denied.contains(&origin) {
            return Err(Failure::Refused(Refusal::DeniedOrigin { origin }));
        }
        let allowed = rules.allowed.contains(&origin);
        let port = url.port_or_known_default().unwrap_or(80);
        let (host, ips) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (ip.to_string(), vec![IpAddr::V4(ip)]),
            Some(url::Host::Ipv6(ip)) => (ip.to_string(), vec![IpAddr::V6(ip)]),
            Some(url::Host::Domain(name)) => {
                let found = self.resolver.lookup(name).await;
                match found {
                    Ok(ips) if !ips.is_empty() => (name.to_string(), ips),
                    _ => return Err(Failure::Connection { host: name.to_string() }),
                }
            }
            None => return Err(Failure::Connection { host: String::new() }),
        };
        if !allowed {
            for ip in &ips {
                if let Some(class) = classify(*ip) {
                    return Err(Failure::Refused(Refusal::Address { ip: *ip, class, redirect }));
                }
            }
        }
        let addrs = ips.into_iter().map(|ip| SocketAddr::new(ip, port)).collect();
        Ok(Checked { host, addrs })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Names mapped to addresses; any other name does not resolve.
    struct Names(HashMap<&'static str, Vec<IpAddr>>);

    #[async_trait]
    impl Resolver for Names {
        async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
            self.0.get(host).cloned().ok_or_else(|| std::io::Error::other("no such name"))
        }
    }

    fn guard() -> Guard {
        let names = HashMap::from([
            ("cdn.example.com", vec!["93.184.215.14".parse().unwrap()]),
            ("intranet.example", vec!["10.0.0.7".parse().unwrap()]),
            ("mixed.example", vec!["93.184.215.14".parse().unwrap(), "192.168.1.2".parse().unwrap()]),
            ("v6.example", vec!["2606:2800:21f:cb07:6820:80da:af6b:8b2c".parse().unwrap()]),
        ]);
        Guard::new(Arc::new(Names(names)))
    }

    async fn text(url: &str, rules: &OriginRules) -> String {
        match guard().check(&Url::parse(url).unwrap(), rules, false).await {
            Ok(checked) => format!("ok {:?}", checked.addrs),
            Err(failure) => failure.to_string(),
        }
    }

    #[tokio::test]
    async fn refuses_addresses_that_are_not_public() {
        let none = OriginRules::default();
        let cases = [
            ("http://127.0.0.1/x.png", "refused: 127.0.0.1 is a loopback address"),
            ("http://[::1]:8080/x.png", "refused: ::1 is a loopback address"),
            ("http://169.254.169.254/latest/meta-data", "refused: 169.254.169.254 is a link-local address"),
            ("http://10.1.2.3/x.png", "refused: 10.1.2.3 is a private address"),
            ("http://172.16.0.1/", "refused: 172.16.0.1 is a private address"),
            ("http://192.168.0.10/", "refused: 192.168.0.10 is a private address"),
            ("http://intranet.example/logo.png", "refused: 10.0.0.7 is a private address"),
            ("http://mixed.example/logo.png", "refused: 192.168.1.2 is a private address"),
            ("http://100.100.100.200/", "refused: 100.100.100.200 is a metadata address"),
            ("http://[fd00:ec2::254]/", "refused: fd00:ec2::254 is a metadata address"),
            ("http://0.0.0.0/", "refused: 0.0.0.0 is an unspecified address"),
            ("http://[::]/", "refused: :: is an unspecified address"),
            ("http://255.255.255.255/", "refused: 255.255.255.255 is a broadcast address"),
            ("http://224.0.0.1/", "refused: 224.0.0.1 is a multicast address"),
            ("http://100.64.0.1/", "refused: 100.64.0.1 is a shared address"),
            ("http://192.0.2.1/", "refused: 192.0.2.1 is a documentation address"),
            ("http://[2001:db8::1]/", "refused: 2001:db8::1 is a documentation address"),
            ("http://[fc00::1]/", "refused: fc00::1 is a unique-local address"),
            ("http://[fe80::1]/", "refused: fe80::1 is a link-local address"),
            ("http://[::ffff:127.0.0.1]/", "refused: ::ffff:127.0.0.1 is a loopback address"),
            ("http://[::ffff:a9fe:a9fe]/", "refused: ::ffff:169.254.169.254 is a link-local address"),
            ("http://[64:ff9b::a01:203]/", "refused: 64:ff9b::a01:203 is a private address"),
            ("http://2130706433/", "refused: 127.0.0.1 is a loopback address"),
            ("http://nowhere.example/", "connection failed to nowhere.example"),
        ];
        for (url, expected) in cases {
            assert_eq!(text(url, &none).await, expected, "{url}");
        }
        assert_eq!(text("https://cdn.example.com/a.css", &none).await, "ok [93.184.215.14:443]");
        assert_eq!(
            text("http://v6.example:8080/a.css", &none).await,
            "ok [[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8080]"
        );
    }

    #[tokio::test]
    async fn listed_origins_skip_the_address_check_and_denied_ones_never_pass() {
        let rules = OriginRules::new(
            &[
                "http://127.0.0.1:5000".into(),
                "HTTP://169.254.169.254/".into(),
                "http://[::1]:8080".into(),
                "http://intranet.example".into(),
                "http://10.1.2.3:80".into(),
            ],
            &["https://x.example".into(), "https://cdn.example.com:443".into()],
        );
        assert_eq!(text("http://127.0.0.1:5000/x.png", &rules).await, "ok [127.0.0.1:5000]");
        assert_eq!(text("http://169.254.169.254/latest", &rules).await, "ok [169.254.169.254:80]");
        assert_eq!(text("http://[::1]:8080/x.png", &rules).await, "ok [[::1]:8080]");
        assert_eq!(text("http://intranet.example/logo.png", &rules).await, "ok [10.0.0.7:80]");
        assert_eq!(text("http://10.1.2.3/x.png", &rules).await, "ok [10.1.2.3:80]");
        // Another port is another origin.
        assert_eq!(text("http://127.0.0.1:5001/x.png", &rules).await, "refused: 127.0.0.1 is a loopback address");
        assert_eq!(text("https://x.example/a.css", &rules).await, "refused: origin https://x.example is denied");
        assert_eq!(
            text("https://cdn.example.com/a.css", &rules).await,
            "refused: origin https://cdn.example.com is denied"
        );
    }

    #[tokio::test]
    async fn a_redirect_hop_says_so() {
        let url = Url::parse("http://169.254.169.254/latest").unwrap();
        let failure = guard().check(&url, &OriginRules::default(), true).await.unwrap_err();
        assert_eq!(failure.to_string(), "refused: redirect to 169.254.169.254 is a link-local address");
        let url = Url::parse("ftp://files.example/a.png").unwrap();
        let failure = guard().check(&url, &OriginRules::default(), true).await.unwrap_err();
        assert_eq!(failure.to_string(), "refused: redirect to a ftp: URL");
    }

    #[test]
    fn public_addresses_pass() {
        for ip in ["93.184.215.14", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert_eq!(classify(ip.parse().unwrap()), None, "{ip}");
        }
    }
}
