//! `puppet-lint discover TOKEN`: what a token resolves to. Prints HOST:PORT
//! alone on standard output, for scripts.

use crate::cli::DiscoverArgs;
use crate::discovery::{self, DiscoveryError};
use crate::error::Error;
use crate::exit;
use crate::target::{Authority, DEFAULT_AUTHORITY, Env, ProcessEnv, env};

pub async fn discover(args: DiscoverArgs) -> Result<i32, Error> {
    let token = args.token.or_else(|| ProcessEnv.first(env::TOKEN)).ok_or_else(|| {
        Error::Usage("no token: give one (puppet-lint discover TOKEN) or set WECHATY_PUPPET_SERVICE_TOKEN".into())
    })?;
    crate::redact::register(&token);
    let authority =
        args.authority.or_else(|| ProcessEnv.first(env::AUTHORITY)).unwrap_or_else(|| DEFAULT_AUTHORITY.into());
    let authority = Authority::parse(&authority).map_err(|error| Error::Usage(error.0))?;
    match discovery::discover(&authority, &token, discovery::Policy::default()).await {
        Ok(answer) => {
            println!("{}", answer.endpoint);
            if answer.has_legacy_ip || !answer.extra_keys.is_empty() {
                eprintln!("answer: {}", answer.body);
            }
            Ok(exit::OK)
        }
        Err(error) => {
            eprintln!("{}", crate::redact::redact(&format!("puppet-lint: {error}\n  → {}", error.hint())));
            Ok(match error {
                DiscoveryError::NotRegistered { .. } => exit::FAILURE,
                DiscoveryError::Unreachable { .. } | DiscoveryError::ServerError { .. } => exit::UNREACHABLE,
            })
        }
    }
}
