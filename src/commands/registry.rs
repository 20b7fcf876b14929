//! `puppet-lint registry`: a local discovery and registration service, showing
//! who registers as they come and go.

use crate::cli::RegistryArgs;
use crate::error::Error;
use crate::registry::{Happening, Options, Registry};

pub async fn registry(args: RegistryArgs) -> Result<(), Error> {
    let registry = Registry::start(Options { listen: args.listen, allow: args.allow.clone(), ..Options::default() })
        .await
        .map_err(|error| Error::Listen {
            what: "the registry",
            address: args.listen.to_string(),
            reason: error.to_string(),
        })?;
    println!("puppet-lint registry on {}", registry.address());
    println!("providers register at   {}", registry.websocket_url());
    println!("  (a wechaty 1.x provider: WECHATY_APIHOST={} before it starts)", registry.address());
    println!("clients discover with   puppet-lint --token TOKEN --authority {}", registry.url());
    println!("Ctrl-C to stop");
    let mut happenings = registry.happenings();
    let watching = tokio::spawn(async move {
        loop {
            let happening = match happenings.recv().await {
                Ok(happening) => happening,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    println!("  ({missed} more happenings, too fast to show)");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            let line = match happening {
                Happening::Registered { token, peer, client, advertised } => {
                    format!("+ {token} registered from {peer} (client {client}, advertised ip {advertised:?})")
                }
                Happening::Deregistered { token, peer } => format!("- {token} left ({peer})"),
                Happening::Refused { peer, why } => format!("! refused {peer}: {why}"),
                Happening::Frame { token, name } => format!("  {token} sent `{name}`"),
                Happening::Asked { token, answer } => format!("? {token}: getHostieGrpcPort → {answer}"),
            };
            println!("{}", crate::report::one_line(&crate::redact::redact(&line)));
        }
    });
    crate::signal::interrupted().await;
    registry.stop();
    watching.abort();
    Ok(())
}
