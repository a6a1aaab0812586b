/// What went wrong talking to GitHub. Messages are GitHub's own; tokens never appear.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("GitHub did not accept the credentials: {message}")]
    Unauthorized { message: String },
    #[error("GitHub's rate limit is exhausted: {message}")]
    RateLimited { status: u16, message: String },
    #[error("not found on GitHub: {message}")]
    NotFound { message: String },
    #[error("GitHub refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("could not talk to GitHub")]
    Transport(#[source] octocrab::Error),
    #[error("invalid GitHub URL {url:?}")]
    BaseUrl {
        url: String,
        #[source]
        source: octocrab::Error,
    },
    #[error("device sign-in failed: {reason}")]
    Device { reason: String },
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
}

impl From<octocrab::Error> for GithubError {
    fn from(e: octocrab::Error) -> Self {
        let octocrab::Error::GitHub { source, .. } = &e else {
            return Self::Transport(e);
        };
        let status = source.status_code.as_u16();
        let message = source.message.clone();
        match status {
            401 => Self::Unauthorized { message },
            404 => Self::NotFound { message },
            429 => Self::RateLimited { status, message },
            403 if message.contains("rate limit") => Self::RateLimited { status, message },
            _ => Self::Refused { status, message },
        }
    }
}
