//! `puppet-lint discover TOKEN`: what a token resolves to. Prints HOST:PORT
//! alone on standard output, for scripts. It exits as `run` would before
//! connecting: 0 with an address, 3 when the token does not resolve (not
//! registered, no address, no discovery service), 2 for a token that cannot be one.

use crate::cli::DiscoverArgs;
use crate::config::{Authority, DEFAULT_AUTHORITY, Env, ProcessEnv, env};
use crate::error::Error;
use crate::target::discovery::{self, DiscoveryError};

pub async fn discover(args: DiscoverArgs) -> Result<(), Error> {
    let token = args.token.or_else(|| ProcessEnv.first(env::TOKEN)).ok_or_else(|| {
        Error::Usage("no token: give one (puppet-lint discover TOKEN) or set WECHATY_PUPPET_SERVICE_TOKEN".into())
    })?;
    crate::redact::register(&token);
    let authority =
        args.authority.or_else(|| ProcessEnv.first(env::AUTHORITY)).unwrap_or_else(|| DEFAULT_AUTHORITY.into());
    let authority = Authority::parse(&authority).map_err(|error| Error::Usage(error.0))?;
    match discovery::discover(&authority, &token, discovery::Policy::default()).await {
        Ok(answer) => {
            // A discovery service could answer the secret as the host.
            println!("{}", crate::redact::redact(&answer.endpoint.to_string()));
            if answer.has_legacy_ip || !answer.extra_keys.is_empty() {
                eprintln!("answer: {}", crate::report::one_line(&crate::redact::redact(&answer.body)));
            }
            Ok(())
        }
        Err(error) => {
            let (message, hint) = (error.to_string(), error.hint());
            // As `run` does: a token that does not resolve is a target that
            // cannot be reached (exit 3), whatever the discovery service said.
            Err(match error {
                DiscoveryError::Malformed { .. } => Error::Usage(format!("{message} ({hint})")),
                DiscoveryError::NotRegistered { .. }
                | DiscoveryError::NoAddress { .. }
                | DiscoveryError::Unreachable { .. }
                | DiscoveryError::BodyIncomplete { .. }
                | DiscoveryError::AuthorityTls { .. }
                | DiscoveryError::ServerError { .. }
                | DiscoveryError::Redirected { .. } => Error::Unreachable { message, hint, shown: false },
            })
        }
    }
}
