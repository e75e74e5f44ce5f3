//! The asset stage: which URLs of a recording define its appearance ([`collect`]), the CSS
//! references inside stylesheets ([`css`]), and the SSRF guard every fetch passes ([`guard`]).

pub mod collect;
pub mod css;
pub mod failure;
pub mod guard;
