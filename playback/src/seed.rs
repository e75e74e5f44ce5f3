//! `playback seed`: synthetic sessions for trying Playback at scale, written through the real
//! write paths of the configured warehouse and blob store, in bulk batches.
//!
//! Session `i` of `n` ends at `until - days + (i + jitter) * days / n`, so the end times spread
//! evenly over the last `days` days and the newest session is the last written. Each session is
//! drawn from its own random stream, seeded by `(seed, i)`: the same options give the same rows.
//! The drawing follows common shares of web traffic: browsers, systems and device types
//! (Chrome on Windows, Safari on iPhone, Chrome on Android, …), a third of the visitors
//! identified (with traits, and some of them coming back for several sessions), a random walk
//! over a shop's pages, clicks, inputs, custom events with properties, and errors, rage clicks
//! and dead clicks on a share of the sessions. The rows are what the stages would write: the
//! scorer's own `session_row` gives the base score, its breakdown and the similarity signature.
//!
//! A share of the sessions (`transcripts`) gets its transcript rows, and the newest
//! `recordings` sessions get a recording: one chunk, in the archiver's format and under its
//! key, of one batch per page view, each a Meta and a FullSnapshot of a small shop page, then
//! the mouse moves, clicks, inputs and a scroll of the transcript. A recorded session always
//! has its transcript.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use playback_archiver::chunk_row;
use playback_blobs::BlobStore;
use playback_schemas::chunk::{date_of, encode_chunk, BatchEvents, Chunk};
use playback_schemas::rrweb::{EventType, IncrementalSource, MouseInteraction};
use playback_schemas::{Device, SessionUpdate, User};
use playback_scorer::ScoreConfig;
use playback_warehouse::{EventKind, EventRow, SessionRow, Warehouse};
use serde_json::{json, Value};
use tokio::task::JoinSet;

/// What to write.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedOptions {
    pub project_id: String,
    pub sessions: u64,
    /// The end times spread over this many days before `until_ms`.
    pub days: u32,
    /// The newest sessions that get a recording.
    pub recordings: u64,
    /// The share of the sessions, 0 to 1, that get transcript rows.
    pub transcripts: f64,
    /// The seed of the random streams.
    pub seed: u64,
    /// The end of the time span, ms since the epoch.
    pub until_ms: i64,
    /// Sessions per write call.
    pub batch: usize,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SeedReport {
    pub sessions: u64,
    pub event_rows: u64,
    pub recordings: u64,
    pub seconds: f64,
}

const DAY_MS: i64 = 86_400_000;
const SITE: &str = "https://shop.example.com";
/// Chunk blobs written at once.
const BLOBS_IN_FLIGHT: usize = 32;

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Uniform in [low, high].
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1).max(1) as u64) as i64
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An item by weight.
    fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, weight)| weight).sum();
        let mut left = self.unit() * total;
        for (item, weight) in items {
            if left < *weight {
                return item;
            }
            left -= weight;
        }
        &items[items.len() - 1].0
    }

    /// 0, 1, 2, … with each step taken with probability `more`, at most `max`.
    fn geometric(&mut self, more: f64, max: i32) -> i32 {
        let mut count = 0;
        while count < max && self.chance(more) {
            count += 1;
        }
        count
    }
}

/// A device as the gateway's user-agent parser names it, with a screen size.
struct Platform {
    device_type: &'static str,
    os: &'static str,
    os_version: &'static str,
    browser: &'static str,
    browser_version: &'static str,
    screen: (i32, i32),
}

const fn platform(
    device_type: &'static str,
    os: &'static str,
    os_version: &'static str,
    browser: &'static str,
    browser_version: &'static str,
    screen: (i32, i32),
) -> Platform {
    Platform { device_type, os, os_version, browser, browser_version, screen }
}

impl Platform {
    /// The page's viewport on this screen: the screen less the browser's own bars (and a
    /// scroll bar on a desktop).
    fn viewport(&self) -> (i32, i32) {
        match self.device_type {
            "desktop" => (self.screen.0 - 15, self.screen.1 - 140),
            _ => (self.screen.0, self.screen.1 - 180),
        }
    }
}

/// Roughly the shares of web traffic: Chrome about 62 %, Safari 27 %, mobile half of it.
const PLATFORMS: [(Platform, f64); 12] = [
    (platform("desktop", "Windows", "10", "Chrome", "126", (1920, 1080)), 0.30),
    (platform("desktop", "Windows", "10", "Edge", "126", (1920, 1080)), 0.07),
    (platform("desktop", "Windows", "10", "Firefox", "128", (1536, 864)), 0.03),
    (platform("desktop", "macOS", "10.15", "Chrome", "126", (1440, 900)), 0.07),
    (platform("desktop", "macOS", "10.15", "Safari", "17.4", (1440, 900)), 0.05),
    (platform("desktop", "Linux", "", "Chrome", "126", (1920, 1080)), 0.02),
    (platform("desktop", "Linux", "", "Firefox", "128", (1920, 1080)), 0.01),
    (platform("desktop", "ChromeOS", "", "Chrome", "126", (1366, 768)), 0.01),
    (platform("mobile", "iOS", "17.4", "Safari", "17.4", (390, 844)), 0.18),
    (platform("mobile", "Android", "14", "Chrome", "126", (412, 915)), 0.20),
    (platform("tablet", "iOS", "17.4", "Safari", "17.4", (820, 1180)), 0.04),
    (platform("tablet", "Android", "14", "Chrome", "126", (800, 1280)), 0.02),
];

const PRODUCTS: [&str; 12] = [
    "Linen shirt",
    "Canvas tote",
    "Wool scarf",
    "Leather belt",
    "Denim jacket",
    "Rain boots",
    "Cotton socks",
    "Silk tie",
    "Straw hat",
    "Running shoes",
    "Field watch",
    "Travel mug",
];
const SEARCH_TERMS: [&str; 8] = ["shirt", "boots", "gift", "sale", "scarf", "watch", "linen", "size guide"];
const POSTS: [&str; 6] = ["spring-lookbook", "care-guide", "our-story", "sizing", "shipping-times", "new-arrivals"];
const PLANS: [(&str, f64); 3] = [("free", 0.7), ("pro", 0.25), ("team", 0.05)];
const FIRST_NAMES: [&str; 10] =
    ["Ada", "Grace", "Alan", "Linus", "Edsger", "Barbara", "Ken", "Margaret", "Dennis", "Frances"];
const ERRORS: [(&str, f64); 5] = [
    ("TypeError: Cannot read properties of undefined (reading 'price')", 0.35),
    ("ReferenceError: gtag is not defined", 0.2),
    ("TypeError: Failed to fetch", 0.25),
    ("ChunkLoadError: Loading chunk 417 failed.", 0.1),
    ("Error: payment provider timed out", 0.1),
];

/// A page of the shop: its path, title, the button and the input it has.
#[derive(Debug, Clone)]
struct Page {
    path: String,
    title: String,
    button: &'static str,
    input: &'static str,
}

fn page(rng: &mut Rng, previous: Option<&str>) -> Page {
    let product = rng.below(PRODUCTS.len() as u64) as usize;
    let choice = match previous {
        Some("/cart") if rng.chance(0.5) => "checkout",
        Some("/checkout") if rng.chance(0.6) => "payment",
        Some("/checkout/payment") if rng.chance(0.7) => "done",
        Some(path) if path.starts_with("/products/") && rng.chance(0.3) => "cart",
        None => *rng.weighted(&[("home", 0.4), ("product", 0.25), ("post", 0.15), ("pricing", 0.1), ("search", 0.1)]),
        Some(_) => *rng.weighted(&[
            ("home", 0.1),
            ("products", 0.15),
            ("product", 0.3),
            ("search", 0.1),
            ("cart", 0.1),
            ("account", 0.08),
            ("pricing", 0.07),
            ("post", 0.05),
            ("help", 0.05),
        ]),
    };
    let (path, title, button, input) = match choice {
        "home" => ("/".to_string(), "Shop".to_string(), "Shop now", "Email"),
        "products" => ("/products".into(), "All products".into(), "Filter", "Search"),
        "product" => {
            (format!("/products/sku-{:03}", 100 + product), PRODUCTS[product].to_string(), "Add to cart", "Quantity")
        }
        "search" => {
            (format!("/search?q={}", rng.pick(&SEARCH_TERMS).replace(' ', "+")), "Search".into(), "Search", "Search")
        }
        "cart" => ("/cart".into(), "Your cart".into(), "Checkout", "Coupon code"),
        "checkout" => ("/checkout".into(), "Checkout".into(), "Continue to payment", "Email"),
        "payment" => ("/checkout/payment".into(), "Payment".into(), "Pay now", "Card number"),
        "done" => ("/checkout/done".into(), "Thank you".into(), "Keep shopping", "Email"),
        "account" => ("/account".into(), "Your account".into(), "Save", "Name"),
        "pricing" => ("/pricing".into(), "Pricing".into(), "Start free trial", "Email"),
        "help" => ("/help".into(), "Help".into(), "Contact us", "Search"),
        _ => (format!("/blog/{}", rng.pick(&POSTS)), "Journal".into(), "Read more", "Email"),
    };
    Page { path, title, button, input }
}

/// One transcript event before it becomes a row: its kind, time, page, name, target and props.
struct Happening {
    kind: EventKind,
    ts_ms: i64,
    page: usize,
    name: String,
    target: String,
    props: String,
}

/// A session with its transcript and, when recorded, its chunk.
struct Drawn {
    row: SessionRow,
    events: Vec<EventRow>,
    chunk: Option<(Chunk, String)>,
}

fn custom_event(rng: &mut Rng, page: &Page) -> (String, String) {
    let name = *rng.weighted(&[
        ("add_to_cart", 0.35),
        ("search", 0.2),
        ("checkout_started", 0.15),
        ("purchase", 0.1),
        ("signup", 0.1),
        ("video_played", 0.1),
    ]);
    let props = match name {
        "add_to_cart" => {
            json!({"sku": format!("sku-{:03}", 100 + rng.below(12)), "qty": rng.range(1, 3), "price": rng.range(9, 120)})
        }
        "search" => json!({"term": rng.pick(&SEARCH_TERMS), "results": rng.range(0, 40)}),
        "checkout_started" => json!({"items": rng.range(1, 5), "value": rng.range(15, 400)}),
        "purchase" => json!({"plan": rng.weighted(&PLANS), "value": rng.range(15, 400), "currency": "EUR"}),
        "signup" => {
            json!({"plan": rng.weighted(&PLANS), "source": rng.pick(&["google", "newsletter", "direct", "partner"])})
        }
        _ => json!({"video": "lookbook", "seconds": rng.range(3, 180), "page": page.path}),
    };
    (name.to_string(), props.to_string())
}

/// Session `index` of the options.
fn draw(options: &SeedOptions, config: &ScoreConfig, index: u64) -> Drawn {
    let mut rng = Rng::new(options.seed, index);
    let span = i64::from(options.days.max(1)) * DAY_MS;
    let slot = span as f64 / options.sessions.max(1) as f64;
    let end_ms = options.until_ms - span + ((index as f64 + rng.unit()) * slot) as i64;
    let recorded = index + options.recordings >= options.sessions;
    let with_transcript = recorded || rng.chance(options.transcripts);
    let platform = rng.weighted(&PLATFORMS);

    // Pages, with the time spent on each.
    let page_count = 1 + rng.geometric(0.62, 24);
    let mut pages: Vec<Page> = Vec::new();
    let mut dwell: Vec<i64> = Vec::new();
    for _ in 0..page_count {
        let next = page(&mut rng, pages.last().map(|page: &Page| page.path.as_str()));
        pages.push(next);
        let seconds = (4.0 + 90.0 * rng.unit() * rng.unit() + 600.0 * rng.unit().powi(8)) as i64;
        dwell.push(seconds * 1000);
    }
    let duration: i64 = dwell.iter().sum::<i64>() + 1_000;
    let start_ms = end_ms - duration;

    // What happened on each page.
    let mut happenings: Vec<Happening> = Vec::new();
    let mut page_start = start_ms;
    let has_errors = rng.chance(0.08);
    let has_rage = rng.chance(0.03);
    let has_dead = rng.chance(0.05);
    let typing = rng.chance(0.35);
    let custom = rng.chance(0.4);
    for (number, current) in pages.iter().enumerate() {
        let length = dwell[number];
        let at = |rng: &mut Rng| page_start + 500 + rng.below((length - 600).max(1) as u64) as i64;
        happenings.push(Happening {
            kind: EventKind::PageView,
            ts_ms: page_start,
            page: number,
            name: String::new(),
            target: String::new(),
            props: "{}".into(),
        });
        for _ in 0..rng.geometric(0.6, 12) {
            let target = if rng.chance(0.6) {
                format!("button {:?}", current.button)
            } else {
                format!("a {:?}", rng.pick(&["Shop", "Products", "Cart", "Account"]))
            };
            happenings.push(Happening {
                kind: EventKind::Click,
                ts_ms: at(&mut rng),
                page: number,
                name: String::new(),
                target,
                props: "{}".into(),
            });
        }
        if typing && rng.chance(0.5) {
            for _ in 0..rng.range(1, 3) {
                let target = format!("input[placeholder={:?}]", current.input);
                happenings.push(Happening {
                    kind: EventKind::Input,
                    ts_ms: at(&mut rng),
                    page: number,
                    name: String::new(),
                    target,
                    props: "{}".into(),
                });
            }
        }
        if custom && rng.chance(0.5) {
            let (name, props) = custom_event(&mut rng, current);
            happenings.push(Happening {
                kind: EventKind::Custom,
                ts_ms: at(&mut rng),
                page: number,
                name,
                target: String::new(),
                props,
            });
        }
        page_start += length;
    }
    let mut on_some_page = |rng: &mut Rng, kind: EventKind, count: i64| {
        for _ in 0..count {
            let number = rng.below(pages.len() as u64) as usize;
            let page_begin = start_ms + dwell[..number].iter().sum::<i64>();
            let ts_ms = page_begin + 500 + rng.below((dwell[number] - 600).max(1) as u64) as i64;
            let (name, target, props) = match kind {
                EventKind::Exception => {
                    let message = rng.weighted(&ERRORS).to_string();
                    let props = json!({"message": message, "stack": format!("at {}:{}:{}", "app.js", rng.range(10, 900), rng.range(1, 80))});
                    (message, String::new(), props.to_string())
                }
                _ => (String::new(), format!("button {:?}", pages[number].button), "{}".to_string()),
            };
            happenings.push(Happening { kind, ts_ms, page: number, name, target, props });
        }
    };
    if has_errors {
        let count = 1 + i64::from(rng.geometric(0.4, 4));
        on_some_page(&mut rng, EventKind::Exception, count);
    }
    if has_rage {
        on_some_page(&mut rng, EventKind::RageClick, 1);
    }
    if has_dead {
        let count = 1 + i64::from(rng.geometric(0.3, 3));
        on_some_page(&mut rng, EventKind::DeadClick, count);
    }
    happenings.sort_by_key(|happening| happening.ts_ms);

    let count = |wanted: EventKind| happenings.iter().filter(|happening| happening.kind == wanted).count() as i32;
    let urls: Vec<String> = {
        let mut urls: Vec<String> = Vec::new();
        for current in &pages {
            let url = format!("{SITE}{}", current.path);
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        urls
    };
    let mut event_names: Vec<String> = Vec::new();
    for happening in happenings.iter().filter(|happening| happening.kind == EventKind::Custom) {
        if !event_names.contains(&happening.name) {
            event_names.push(happening.name.clone());
        }
    }
    let action_sequence: Vec<String> = happenings
        .iter()
        .map(|happening| match happening.kind {
            EventKind::Custom => format!("custom:{}", happening.name),
            other => other.to_string(),
        })
        .take(64)
        .collect();

    // A third of the visitors are identified; a small pool of users makes repeat visitors.
    let users = (options.sessions / 6).max(1);
    let user = if rng.chance(0.35) {
        let number = (users as f64 * rng.unit().powi(2)) as u64;
        let mut traits_rng = Rng::new(options.seed ^ 0x5EED, number);
        let first = traits_rng.pick(&FIRST_NAMES);
        let email = format!("{}.{number}@example.com", first.to_lowercase());
        let traits = json!({
            "email": email,
            "name": format!("{first} {number}"),
            "plan": traits_rng.weighted(&PLANS),
            "seats": traits_rng.range(1, 20),
            "signed_up": date_of(options.until_ms - traits_rng.range(30, 900) * DAY_MS),
        });
        Some(User { id: Some(format!("u-{number:07}")), traits_json: traits.to_string() })
    } else {
        None
    };

    let session_id = {
        let random: [u8; 10] = {
            let (high, low) = (rng.next().to_le_bytes(), rng.next().to_le_bytes());
            [high[0], high[1], high[2], high[3], high[4], low[0], low[1], low[2], low[3], low[4]]
        };
        uuid::Builder::from_unix_timestamp_millis(start_ms.max(0) as u64, &random).into_uuid().to_string()
    };
    let window_id = format!("{:016x}", rng.next());
    let active_ms = (duration as f64 * (0.25 + 0.7 * rng.unit())) as i64;
    let closed = options.until_ms - end_ms > 30 * 60_000;
    let update = SessionUpdate {
        project_id: options.project_id.clone(),
        session_id: session_id.clone(),
        version: 1 + count(EventKind::PageView) as i64,
        closed,
        start_ms,
        end_ms,
        active_ms,
        user,
        device: Device {
            user_agent: String::new(),
            browser: platform.browser.into(),
            browser_version: platform.browser_version.into(),
            os: platform.os.into(),
            os_version: platform.os_version.into(),
            device_type: platform.device_type.into(),
            screen_width: platform.screen.0,
            screen_height: platform.screen.1,
            viewport_width: platform.viewport().0,
            viewport_height: platform.viewport().1,
        },
        windows: 1,
        events: 0,
        page_views: count(EventKind::PageView),
        clicks: count(EventKind::Click),
        inputs: count(EventKind::Input),
        errors: count(EventKind::Exception),
        custom_events: count(EventKind::Custom),
        rage_clicks: count(EventKind::RageClick),
        dead_clicks: count(EventKind::DeadClick),
        entry_url: urls.first().cloned().unwrap_or_default(),
        exit_url: format!("{SITE}{}", pages.last().map(|page| page.path.as_str()).unwrap_or("/")),
        urls,
        event_names,
        path_sequence: pages.iter().map(|page| page.path.clone()).collect(),
        action_sequence,
        updated_at_ms: end_ms + if closed { 30 * 60_000 } else { 0 },
    };

    let mut events = Vec::new();
    if with_transcript {
        let mut per_page = vec![0i32; pages.len()];
        for happening in &happenings {
            let index = &mut per_page[happening.page];
            events.push(EventRow {
                project_id: options.project_id.clone(),
                session_id: session_id.clone(),
                window_id: window_id.clone(),
                batch_seq: happening.page as i64,
                event_index: *index,
                kind: happening.kind,
                ts_ms: happening.ts_ms,
                url: format!("{SITE}{}", pages[happening.page].path),
                name: happening.name.clone(),
                target: happening.target.clone(),
                props_json: happening.props.clone(),
            });
            *index += 1;
        }
    }
    let mut rrweb_events = 0i64;
    let chunk = if recorded {
        let mut batches = Vec::new();
        let mut page_begin = start_ms;
        for (number, current) in pages.iter().enumerate() {
            let on_page: Vec<&Happening> = happenings.iter().filter(|happening| happening.page == number).collect();
            let events = recording_batch(&mut rng, current, platform.screen, page_begin, dwell[number], &on_page);
            rrweb_events += events.len() as i64;
            let json = serde_json::to_vec(&events).unwrap_or_default();
            if let Ok(batch) = BatchEvents::new(number as i64, json) {
                batches.push(batch);
            }
            page_begin += dwell[number];
        }
        let chunk = Chunk {
            project_id: options.project_id.clone(),
            session_id: session_id.clone(),
            window_id: window_id.clone(),
            batches,
        };
        let key = chunk.blob_key(&date_of(start_ms));
        Some((chunk, key))
    } else {
        rrweb_events = i64::from(update.page_views) * 24 + i64::from(update.clicks) * 4 + i64::from(update.inputs) * 6;
        None
    };
    let mut row = playback_scorer::session_row(&update, config);
    row.events = rrweb_events;
    Drawn { row, events, chunk }
}

// Node ids of the page snapshot that the incremental events refer to.
const DOCUMENT_ID: i64 = 1;
const BUTTON_ID: i64 = 30;
const INPUT_ID: i64 = 32;

fn element(id: i64, tag: &str, attributes: Value, children: Vec<Value>) -> Value {
    json!({"type": 2, "tagName": tag, "attributes": attributes, "childNodes": children, "id": id})
}

fn text(id: i64, content: &str) -> Value {
    json!({"type": 3, "textContent": content, "id": id})
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}\
header{background:#1f3a5f;padding:14px 24px;display:flex;gap:18px}header a{color:#fff;text-decoration:none}\
main{padding:28px;max-width:760px}h1{margin-top:0}ul{padding-left:18px}li{margin:6px 0}\
input{padding:9px;border:1px solid #999;border-radius:4px;width:260px;margin-right:10px}\
button{background:#e4572e;color:#fff;border:0;padding:10px 18px;border-radius:4px;font-size:15px}";

/// The serialized DOM of a shop page, as rrweb's FullSnapshot holds it.
fn page_snapshot(current: &Page) -> Value {
    let link = |id: i64, path: &str, label: &str| {
        element(id, "a", json!({"href": format!("{SITE}{path}")}), vec![text(id + 1, label)])
    };
    let items: Vec<Value> = (0..3)
        .map(|item| {
            let id = 40 + item * 2;
            element(
                id,
                "li",
                json!({}),
                vec![text(id + 1, PRODUCTS[(item as usize * 5 + current.path.len()) % PRODUCTS.len()])],
            )
        })
        .collect();
    let head = element(
        4,
        "head",
        json!({}),
        vec![
            element(5, "meta", json!({"charset": "utf-8"}), vec![]),
            element(6, "title", json!({}), vec![text(7, &format!("{} · Shop", current.title))]),
            element(8, "style", json!({}), vec![json!({"type": 3, "textContent": STYLE, "isStyle": true, "id": 9})]),
        ],
    );
    let header = element(
        11,
        "header",
        json!({}),
        vec![
            link(12, "/", "Shop"),
            link(14, "/products", "Products"),
            link(16, "/cart", "Cart"),
            link(18, "/account", "Account"),
        ],
    );
    let main = element(
        20,
        "main",
        json!({}),
        vec![
            element(21, "h1", json!({}), vec![text(22, &current.title)]),
            element(23, "p", json!({}), vec![text(24, "Free shipping on orders over 50 €. Returns within 30 days.")]),
            element(25, "ul", json!({}), items),
            element(INPUT_ID, "input", json!({"type": "text", "placeholder": current.input}), vec![]),
            element(BUTTON_ID, "button", json!({"type": "button"}), vec![text(BUTTON_ID + 1, current.button)]),
        ],
    );
    let body = element(10, "body", json!({}), vec![header, main]);
    json!({
        "type": 0,
        "childNodes": [
            {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": 2},
            element(3, "html", json!({"lang": "en"}), vec![head, body]),
        ],
        "id": DOCUMENT_ID,
    })
}

fn incremental(source: IncrementalSource, data: Value, timestamp: i64) -> Value {
    let mut data = data;
    data["source"] = json!(source as u64);
    json!({"type": EventType::IncrementalSnapshot as u64, "data": data, "timestamp": timestamp})
}

/// One page view's rrweb events: Meta, FullSnapshot, then the page's clicks, inputs and a scroll.
fn recording_batch(
    rng: &mut Rng,
    current: &Page,
    screen: (i32, i32),
    begin_ms: i64,
    length_ms: i64,
    happenings: &[&Happening],
) -> Vec<Value> {
    let (width, height) = screen;
    let mut events = vec![
        json!({"type": EventType::Meta as u64, "data": {"href": format!("{SITE}{}", current.path), "width": width, "height": height}, "timestamp": begin_ms}),
        json!({"type": EventType::FullSnapshot as u64, "data": {"node": page_snapshot(current), "initialOffset": {"left": 0, "top": 0}}, "timestamp": begin_ms + 1}),
    ];
    let button = (120 + rng.range(0, 60), 330 + rng.range(0, 20));
    let mut moves = Vec::new();
    for happening in happenings {
        let ts = happening.ts_ms;
        match happening.kind {
            EventKind::Click | EventKind::RageClick | EventKind::DeadClick => {
                let (x, y) = (button.0 + rng.range(-20, 20), button.1 + rng.range(-6, 6));
                let positions = json!([{"x": x - 160, "y": y - 90, "id": 20, "timeOffset": -400}, {"x": x - 40, "y": y - 20, "id": 20, "timeOffset": -150}, {"x": x, "y": y, "id": BUTTON_ID, "timeOffset": 0}]);
                moves.push(incremental(IncrementalSource::MouseMove, json!({"positions": positions}), ts - 100));
                let presses = if happening.kind == EventKind::RageClick { 4 } else { 1 };
                for press in 0..presses {
                    let at = ts + press * 120;
                    for (offset, interaction) in [
                        (0, MouseInteraction::MouseDown),
                        (40, MouseInteraction::MouseUp),
                        (41, MouseInteraction::Click),
                    ] {
                        let data = json!({"type": interaction as u64, "id": BUTTON_ID, "x": x, "y": y});
                        moves.push(incremental(IncrementalSource::MouseInteraction, data, at + offset));
                    }
                }
            }
            EventKind::Input => {
                let masked = "*".repeat(rng.range(4, 12) as usize);
                moves.push(incremental(
                    IncrementalSource::MouseInteraction,
                    json!({"type": MouseInteraction::Focus as u64, "id": INPUT_ID}),
                    ts - 600,
                ));
                moves.push(incremental(
                    IncrementalSource::Input,
                    json!({"text": masked, "isChecked": false, "id": INPUT_ID}),
                    ts,
                ));
            }
            _ => {}
        }
    }
    let scroll_at = begin_ms + length_ms / 2;
    moves.push(incremental(
        IncrementalSource::Scroll,
        json!({"id": DOCUMENT_ID, "x": 0, "y": rng.range(80, 400)}),
        scroll_at,
    ));
    // The pointer moves until the visitor leaves the page, so the recording spans the page's
    // whole stay, as the session's duration does.
    let last_move = json!([{"x": button.0, "y": button.1 + 40, "id": 20, "timeOffset": 0}]);
    moves.push(incremental(IncrementalSource::MouseMove, json!({"positions": last_move}), begin_ms + length_ms - 1));
    moves.sort_by_key(|event| event["timestamp"].as_i64().unwrap_or(0));
    for event in &mut moves {
        // Nothing before the snapshot, which keeps the order.
        let at = event["timestamp"].as_i64().unwrap_or(0).max(begin_ms + 2);
        event["timestamp"] = json!(at);
    }
    events.extend(moves);
    events
}

/// A batch of drawn sessions, their rows and their recordings.
struct Batch {
    sessions: Vec<SessionRow>,
    events: Vec<EventRow>,
    chunks: Vec<(Chunk, String, i64)>,
}

fn draw_batch(options: &SeedOptions, config: &ScoreConfig, first: u64, last: u64) -> Batch {
    let mut batch = Batch { sessions: Vec::new(), events: Vec::new(), chunks: Vec::new() };
    for index in first..last {
        let drawn = draw(options, config, index);
        batch.events.extend(drawn.events);
        if let Some((chunk, key)) = drawn.chunk {
            batch.chunks.push((chunk, key, drawn.row.end_ms));
        }
        batch.sessions.push(drawn.row);
    }
    batch
}

/// Writes a batch's recordings: each chunk blob, then their rows, as the archiver does.
async fn write_recordings(
    blobs: &Arc<dyn BlobStore>,
    warehouse: &dyn Warehouse,
    chunks: Vec<(Chunk, String, i64)>,
) -> anyhow::Result<u64> {
    let mut rows = Vec::with_capacity(chunks.len());
    let mut writes = JoinSet::new();
    for (chunk, key, end_ms) in chunks {
        let blobs = Arc::clone(blobs);
        writes.spawn(async move {
            let bytes =
                tokio::task::spawn_blocking(move || encode_chunk(&chunk, 3).map(|bytes| (chunk, bytes))).await?;
            let (chunk, bytes) = bytes.context("cannot encode a chunk")?;
            let size = bytes.len() as i64;
            blobs.put(&key, bytes).await.with_context(|| format!("cannot write {key}"))?;
            anyhow::Ok(chunk_row(&chunk, key, size, end_ms + 5_000))
        });
        while writes.len() >= BLOBS_IN_FLIGHT {
            if let Some(done) = writes.join_next().await {
                rows.push(done??);
            }
        }
    }
    while let Some(done) = writes.join_next().await {
        rows.push(done??);
    }
    let count = rows.len() as u64;
    warehouse.insert_chunks(rows).await.context("cannot insert chunk rows")?;
    Ok(count)
}

/// Writes the sessions of `options`, calling `progress` after each batch. The next batch is
/// drawn while the current one is written.
pub async fn seed(
    warehouse: Arc<dyn Warehouse>,
    blobs: Arc<dyn BlobStore>,
    options: &SeedOptions,
    config: &ScoreConfig,
    mut progress: impl FnMut(&SeedReport),
) -> anyhow::Result<SeedReport> {
    anyhow::ensure!((0.0..=1.0).contains(&options.transcripts), "the transcript share must be between 0 and 1");
    anyhow::ensure!(options.batch > 0, "the batch size must be at least 1");
    let started = Instant::now();
    let mut report = SeedReport::default();
    let step = options.batch as u64;
    let draw_next = |first: u64| {
        let (options, config) = (options.clone(), config.clone());
        let last = (first + step).min(options.sessions);
        tokio::task::spawn_blocking(move || draw_batch(&options, &config, first, last))
    };
    let mut first = 0;
    let mut next = (first < options.sessions).then(|| draw_next(first));
    while let Some(drawing) = next.take() {
        let batch = drawing.await.context("drawing sessions failed")?;
        first += batch.sessions.len() as u64;
        next = (first < options.sessions).then(|| draw_next(first));
        report.sessions += batch.sessions.len() as u64;
        report.event_rows += batch.events.len() as u64;
        warehouse.upsert_sessions(batch.sessions).await.context("cannot write sessions")?;
        warehouse.insert_events(batch.events).await.context("cannot write transcript rows")?;
        if !batch.chunks.is_empty() {
            report.recordings += write_recordings(&blobs, warehouse.as_ref(), batch.chunks).await?;
        }
        report.seconds = started.elapsed().as_secs_f64();
        progress(&report);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SeedOptions {
        SeedOptions {
            project_id: "demo".into(),
            sessions: 400,
            days: 30,
            recordings: 20,
            transcripts: 0.5,
            seed: 7,
            until_ms: 1_800_000_000_000,
            batch: 100,
        }
    }

    #[test]
    fn the_same_options_draw_the_same_sessions() {
        let config = ScoreConfig::default();
        let first = draw_batch(&options(), &config, 0, 50);
        let again = draw_batch(&options(), &config, 0, 50);
        assert_eq!(first.sessions, again.sessions);
        assert_eq!(first.events, again.events);
        let other = draw_batch(&SeedOptions { seed: 8, ..options() }, &config, 0, 50);
        assert_ne!(first.sessions, other.sessions, "another seed draws other sessions");
    }

    #[test]
    fn sessions_spread_over_the_days_and_agree_with_their_transcripts() {
        let options = options();
        let config = ScoreConfig::default();
        let batch = draw_batch(&options, &config, 0, options.sessions);
        let span = i64::from(options.days) * DAY_MS;
        let ends: Vec<i64> = batch.sessions.iter().map(|row| row.end_ms).collect();
        assert!(ends.windows(2).all(|pair| pair[0] <= pair[1]), "the newest session is drawn last");
        assert!(ends.iter().all(|end| (options.until_ms - span..options.until_ms).contains(end)));
        assert!(ends[0] < options.until_ms - span + span / 100 && ends[ends.len() - 1] > options.until_ms - span / 100);
        let mut with_transcript = 0;
        for row in &batch.sessions {
            assert!(row.start_ms < row.end_ms && row.active_ms <= row.end_ms - row.start_ms);
            assert!(row.base_score > 0.0 && row.base_score <= 80.0, "{}", row.base_score);
            let events: Vec<&EventRow> =
                batch.events.iter().filter(|event| event.session_id == row.session_id).collect();
            if events.is_empty() {
                continue;
            }
            with_transcript += 1;
            let count = |wanted: EventKind| events.iter().filter(|event| event.kind == wanted).count() as i32;
            assert_eq!(
                (
                    count(EventKind::PageView),
                    count(EventKind::Input),
                    count(EventKind::Exception),
                    count(EventKind::Custom)
                ),
                (row.page_views, row.inputs, row.errors, row.custom_events)
            );
            assert!(events.iter().all(|event| (row.start_ms..=row.end_ms).contains(&event.ts_ms)));
        }
        assert!((150..=300).contains(&with_transcript), "about half have a transcript: {with_transcript}");
        let identified = batch.sessions.iter().filter(|row| !row.user_id.is_empty()).count();
        assert!((80..=200).contains(&identified), "about a third are identified: {identified}");
        let browsers: std::collections::BTreeSet<&str> =
            batch.sessions.iter().map(|row| row.browser.as_str()).collect();
        assert!(browsers.len() >= 4, "{browsers:?}");
        assert!(batch.sessions.iter().any(|row| row.errors > 0) && batch.sessions.iter().any(|row| row.errors == 0));
    }

    #[test]
    fn the_newest_sessions_get_replayable_chunks() {
        let options = options();
        let batch = draw_batch(&options, &ScoreConfig::default(), 0, options.sessions);
        assert_eq!(batch.chunks.len(), 20);
        let newest: Vec<&str> = batch.sessions[380..].iter().map(|row| row.session_id.as_str()).collect();
        for (chunk, key, _) in &batch.chunks {
            assert!(newest.contains(&chunk.session_id.as_str()));
            assert!(key.starts_with(&format!("demo/{}/{}/", date_of(chunk.batches[0].first_ts_ms), chunk.session_id)));
            let encoded = encode_chunk(chunk, 3).unwrap_or_default();
            let decoded = playback_schemas::chunk::decode_chunk(&encoded).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(decoded.batches.len(), chunk.batches.len());
            for batch in &chunk.batches {
                assert!(batch.starts_with_snapshot, "every page view opens with Meta and FullSnapshot");
                let events: Vec<Value> = serde_json::from_slice(&batch.json).unwrap_or_default();
                let times: Vec<i64> = events.iter().filter_map(|event| event["timestamp"].as_i64()).collect();
                assert_eq!(times.len(), events.len());
                assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "events in time order");
                assert!(events[1]["data"]["node"]["childNodes"][1]["tagName"] == "html");
            }
        }
    }
}
