//! Bearer tokens per project, with a role each.
//!
//! Every query route takes an [`Caller`], which reads `Authorization: Bearer <token>` and finds
//! the configured token; the caller then sees only its project. Tokens are compared in constant
//! time.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::{QueryError, QueryState};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads sessions; adds notes and saved filters.
    Viewer,
    /// Also creates, lists and revokes share links.
    Admin,
}

/// One API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    /// Who holds it: the author of their notes, saved filters and share links.
    pub name: String,
    /// The secret the caller sends; at least 16 characters.
    pub token: String,
    /// The only project it reads.
    pub project: String,
    pub role: Role,
}

/// The configured tokens.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    tokens: Vec<ApiToken>,
}

/// The shortest token accepted, so that a token cannot be guessed.
pub const MIN_TOKEN_CHARS: usize = 16;

impl Tokens {
    /// Checks and keeps `tokens`.
    pub fn new(tokens: Vec<ApiToken>) -> Result<Self, String> {
        for token in &tokens {
            if token.token.chars().count() < MIN_TOKEN_CHARS {
                return Err(format!("the token of {:?} is shorter than {MIN_TOKEN_CHARS} characters", token.name));
            }
            if token.project.is_empty() || token.name.is_empty() {
                return Err("every token needs a name and a project".into());
            }
        }
        Ok(Tokens { tokens })
    }

    /// Every token.
    pub fn all(&self) -> &[ApiToken] {
        &self.tokens
    }

    /// The token equal to `presented`, looked up without revealing by timing how much matched.
    fn find(&self, presented: &str) -> Option<&ApiToken> {
        let mut found = None;
        for token in &self.tokens {
            if bool::from(token.token.as_bytes().ct_eq(presented.as_bytes())) {
                found = Some(token);
            }
        }
        found
    }
}

/// The authenticated caller of a query route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub project_id: String,
    pub role: Role,
}

impl Caller {
    /// Fails with 403 unless the caller wrote it (`author` is their token's name) or is an
    /// admin.
    pub fn require_author(&self, author: &str, action: &str) -> Result<(), QueryError> {
        if self.name == author {
            Ok(())
        } else {
            self.require_admin(action)
        }
    }

    /// Fails with 403 unless the caller is an admin.
    pub fn require_admin(&self, action: &str) -> Result<(), QueryError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(QueryError::Forbidden(format!("{action} needs an admin token")))
        }
    }
}

impl FromRequestParts<QueryState> for Caller {
    type Rejection = QueryError;

    async fn from_request_parts(parts: &mut Parts, state: &QueryState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| QueryError::Unauthorized("missing Authorization: Bearer <token>".into()))?;
        let value = header.to_str().map_err(|_| QueryError::Unauthorized("malformed Authorization header".into()))?;
        let presented = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| QueryError::Unauthorized("the Authorization header is not a Bearer token".into()))?;
        let token = state.tokens.find(presented).ok_or_else(|| QueryError::Unauthorized("unknown token".into()))?;
        Ok(Caller { name: token.name.clone(), project_id: token.project.clone(), role: token.role })
    }
}
