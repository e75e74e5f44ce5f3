//! The asset stage: which URLs of a recording define its appearance ([`collect`]), and the CSS
//! references inside stylesheets ([`css`]).

pub mod collect;
pub mod css;
