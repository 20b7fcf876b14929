//! `puppet-lint mock`: the built-in Puppet Service, until Ctrl-C.

use crate::cli::MockArgs;
use crate::error::Error;
use crate::mock::{MockOptions, MockServer};

pub async fn mock(args: MockArgs) -> Result<(), Error> {
    // The token clients must send follows the rules a client's token does.
    if let Some(why) = crate::config::token_problem(&args.token) {
        return Err(Error::Usage(format!("--token: {why}")));
    }
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "puppet-lint: note: listening on {}, not loopback: anyone who can reach it can use the mock",
            args.listen
        );
    }
    let options = MockOptions {
        listen: args.listen,
        token: args.token.clone(),
        tls: args.tls,
        faults: args.fault.clone(),
        heartbeat_interval: args.heartbeat_interval,
        flood_count: args.flood_count,
        slow_delay: args.slow_delay,
        ..MockOptions::default()
    };
    let server = MockServer::start(options).await.map_err(|error| Error::Listen {
        what: "the mock",
        address: args.listen.to_string(),
        reason: error.to_string(),
    })?;
    let token = crate::redact::mask(&server.token);
    println!("puppet-lint mock listening on {}", server.address);
    if args.fault.is_empty() {
        println!("conformant (no faults)");
    }
    for fault in &args.fault {
        println!("fault {}: {}", fault.name(), fault.description());
    }
    let address = server.address;
    match &server.tls {
        Some(tls) => {
            let path = args.tls_ca_out.clone().unwrap_or_else(|| std::env::temp_dir().join("puppet-lint-mock-ca.pem"));
            std::fs::write(&path, &tls.ca_pem)
                .map_err(|error| Error::Write(format!("cannot write the CA to {}: {error}", path.display())))?;
            println!("TLS on: certificate for \"{}\", signed by the CA in {}", tls.server_name, path.display());
            println!(
                "try: puppet-lint --endpoint {address} --token {token} --tls-ca-cert {} --tls-server-name {}",
                path.display(),
                tls.server_name
            );
        }
        None => println!("try: puppet-lint --endpoint {address} --no-tls --token {token}"),
    }
    if server.token == crate::mock::DEFAULT_TOKEN {
        println!("(the token is the default: see `puppet-lint mock --help`)");
    }
    println!("Ctrl-C to stop");
    server.serve_until_signal().await;
    Ok(())
}
