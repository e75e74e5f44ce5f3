//! The numeric enums of the rrweb 2.x wire format, shared by the sessionizer and the tests.
//!
//! Values follow `@rrweb/types`: `EventType`, `IncrementalSource` and `MouseInteractions`.
//! Unknown numbers map to `None` so that a newer recorder never breaks ingestion.

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:expr),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant = $value),+ }

        impl $name {
            /// Every variant, in wire order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The variant for a wire number, if this build knows it.
            pub fn from_wire(value: u64) -> Option<Self> {
                match value {
                    $(x if x == $value => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

wire_enum! {
    /// Top-level `type` of an rrweb event.
    EventType {
        DomContentLoaded = 0,
        Load = 1,
        FullSnapshot = 2,
        IncrementalSnapshot = 3,
        Meta = 4,
        Custom = 5,
        Plugin = 6,
    }
}

wire_enum! {
    /// `data.source` of an incremental snapshot event.
    IncrementalSource {
        Mutation = 0,
        MouseMove = 1,
        MouseInteraction = 2,
        Scroll = 3,
        ViewportResize = 4,
        Input = 5,
        TouchMove = 6,
        MediaInteraction = 7,
        StyleSheetRule = 8,
        CanvasMutation = 9,
        Font = 10,
        Log = 11,
        Drag = 12,
        StyleDeclaration = 13,
        Selection = 14,
        AdoptedStyleSheet = 15,
        CustomElement = 16,
    }
}

wire_enum! {
    /// `data.type` of a mouse interaction event.
    MouseInteraction {
        MouseUp = 0,
        MouseDown = 1,
        Click = 2,
        ContextMenu = 3,
        DblClick = 4,
        Focus = 5,
        Blur = 6,
        TouchStart = 7,
        TouchMoveDeparted = 8,
        TouchEnd = 9,
        TouchCancel = 10,
    }
}

impl IncrementalSource {
    /// Sources that a person causes directly; they count towards active time.
    pub fn is_user_action(self) -> bool {
        matches!(
            self,
            IncrementalSource::MouseMove
                | IncrementalSource::MouseInteraction
                | IncrementalSource::Scroll
                | IncrementalSource::ViewportResize
                | IncrementalSource::Input
                | IncrementalSource::TouchMove
                | IncrementalSource::MediaInteraction
                | IncrementalSource::Drag
                | IncrementalSource::Selection
        )
    }
}

/// Custom event tags that the Playback recorder emits (`type` 5, `data.tag`).
pub mod tags {
    /// A page view, on load and on every SPA history change: `{ "href": "..." }`.
    pub const PAGE_VIEW: &str = "$pageview";
    /// A JavaScript error or unhandled rejection: `{ "message", "stack", "source" }`.
    pub const EXCEPTION: &str = "$exception";
    /// `identify(userId, traits)`: `{ "user_id", "traits" }`.
    pub const IDENTIFY: &str = "$identify";
}
