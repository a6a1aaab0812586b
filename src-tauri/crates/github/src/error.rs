/// What went wrong talking to GitHub. Messages are GitHub's own; tokens never appear.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("GitHub did not accept the credentials: {message}")]
    Unauthorized { message: String },
    #[error("GitHub's rate limit is exhausted: {message}")]
    RateLimited {
        status: u16,
        message: String,
        /// `retry-after` in seconds (secondary limits).
        retry_after: Option<u64>,
        /// `x-ratelimit-remaining`: 0 means the primary limit is spent until `reset`.
        remaining: Option<u64>,
        /// `x-ratelimit-reset`, Unix seconds.
        reset: Option<u64>,
    },
    #[error("not found on GitHub: {message}")]
    NotFound { message: String },
    #[error("GitHub refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("could not talk to GitHub")]
    Transport(#[source] octocrab::Error),
    #[error("GitHub's answer to {route} was not what Sluice expected")]
    Decode {
        route: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid GitHub URL {url:?}")]
    BaseUrl {
        url: String,
        #[source]
        source: octocrab::Error,
    },
    #[error("device sign-in failed: {reason}")]
    Device { reason: String },
    /// A request Sluice will not make, or an answer it will not use, with why.
    #[error("{0}")]
    Invalid(String),
}

impl GithubError {
    /// The HTTP status GitHub answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { .. } => Some(401),
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { status, .. } | Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth retrying as is, later: the network, GitHub's own trouble (5xx) or a rate limit.
    /// Everything else needs someone to change something (a token, a name).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport(_) | Self::RateLimited { .. } => true,
            Self::Refused { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

fn header_u64(headers: Option<&http::HeaderMap>, name: &str) -> Option<u64> {
    headers?.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl From<octocrab::Error> for GithubError {
    fn from(e: octocrab::Error) -> Self {
        let octocrab::Error::GitHub { source, .. } = &e else {
            return Self::Transport(e);
        };
        let status = source.status_code.as_u16();
        let message = source.message.clone();
        let headers = source.headers.as_ref();
        let retry_after = header_u64(headers, "retry-after");
        let remaining = header_u64(headers, "x-ratelimit-remaining");
        let reset = header_u64(headers, "x-ratelimit-reset").or(source.rate_limit_reset);
        // GitHub signals both limits with 403 or 429; a 403 is a limit only when the headers or
        // the message say so (otherwise it is a refusal, e.g. a reviewer rule).
        let limited = status == 429
            || (status == 403
                && (remaining == Some(0)
                    || retry_after.is_some()
                    || message.contains("rate limit")));
        match status {
            401 => Self::Unauthorized { message },
            404 => Self::NotFound { message },
            _ if limited => Self::RateLimited {
                status,
                message,
                retry_after,
                remaining,
                reset,
            },
            _ => Self::Refused { status, message },
        }
    }
}
