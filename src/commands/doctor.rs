//! `puppet-lint doctor`: where a connection fails, step by step —
//! discovery → TCP → TLS → auth → `Version` → first event → login — each
//! with its result and duration, and for the step that fails, what to try.

use std::time::{Duration, Instant};

use crate::cli::DoctorArgs;
use crate::engine::{Observer, RunEvent};
use crate::error::Error;
use crate::exit;
use crate::output::{Look, Paint};
use crate::session::{Session, What, connect};
use crate::setup::{self, SetupFailure};
use crate::target::{Address, Target};
use crate::tls::PeerCertificate;

pub async fn doctor(args: DoctorArgs) -> Result<i32, Error> {
    let (target, mock) = super::target_or_mock(&args.target, args.mock, &[], Duration::from_secs(15)).await?;
    let look = Look::detect(args.color);
    let report = Doctor { look, timeout: args.step_timeout };
    report.heading(&target);
    let healthy = report.diagnose(&target, args.login_timeout).await;
    if let Some(mock) = mock {
        mock.shutdown().await;
    }
    if healthy {
        report.say(&look.paint("all good: the service answers and the bot is logged in", Paint::Green));
        Ok(exit::OK)
    } else {
        Ok(exit::UNREACHABLE)
    }
}

struct Doctor {
    look: Look,
    timeout: Duration,
}

impl Doctor {
    fn say(&self, text: &str) {
        super::run::print_stdout(&format!("{}\n", crate::redact::redact(text)));
    }

    fn heading(&self, target: &Target) {
        self.say(&format!("puppet-lint doctor — {}", target.describe()));
    }

    fn ok(&self, step: &str, detail: &str, took: Duration) {
        // What the service said (a version, a bot id) cannot drive the terminal.
        let detail = crate::report::one_line(detail);
        let time = self.look.paint(&crate::clock::human(took), Paint::Dim);
        self.say(&format!("{} {step:<13} {detail}  {time}", self.look.paint("✓", Paint::Green)));
    }

    fn failed(&self, step: &str, problem: &str, hint: &str, took: Duration) -> bool {
        let problem = crate::report::one_line(problem);
        let time = self.look.paint(&crate::clock::human(took), Paint::Dim);
        self.say(&format!("{} {step:<13} {problem}  {time}", self.look.paint("✗", Paint::Red)));
        self.say(&format!("  → {hint}"));
        false
    }

    /// Runs the steps until one fails; true when all pass.
    async fn diagnose(&self, target: &Target, login_timeout: Duration) -> bool {
        // Discovery, when the target is a token.
        let options = setup::Options::default();
        let clock = Instant::now();
        let (endpoint, _) = match setup::endpoint(target, &options).await {
            Ok(found) => found,
            Err(failure) => return self.failed("discovery", &failure.to_string(), &failure.hint(), clock.elapsed()),
        };
        if let Address::Discover(authority) = &target.address {
            self.ok("discovery", &format!("{endpoint} (from {authority})"), clock.elapsed());
        }

        let clock = Instant::now();
        let tcp = match connect::tcp(&endpoint, self.timeout).await {
            Ok(tcp) => tcp,
            Err(error) => return self.failed("tcp", &error.to_string(), error.hint(), clock.elapsed()),
        };
        self.ok("tcp", &format!("connected to {endpoint}"), clock.elapsed());

        let tls = match setup::tls_client(target) {
            Ok(tls) => tls,
            Err(failure) => return self.failed("tls", &failure.to_string(), &failure.hint(), Duration::ZERO),
        };
        match &tls {
            None => self.say(&format!("{} {:<13} off (--no-tls)", self.look.paint("-", Paint::Dim), "tls")),
            Some(tls) => {
                let clock = Instant::now();
                match connect::tls_handshake(&endpoint, tcp, tls, self.timeout).await {
                    Ok(stream) => {
                        let (_, connection) = stream.get_ref();
                        let peer = connection
                            .peer_certificates()
                            .and_then(|chain| chain.first())
                            .and_then(PeerCertificate::of);
                        let detail = match peer {
                            Some(peer) => format!(
                                "verified: server name \"{}\", issuer {}, valid {} → {}, X.509 v{}",
                                tls.server_name, peer.issuer, peer.not_before, peer.not_after, peer.version
                            ),
                            None => format!("verified: server name \"{}\"", tls.server_name),
                        };
                        self.ok("tls", &detail, clock.elapsed());
                    }
                    Err(error) => return self.failed("tls", &error.to_string(), error.hint(), clock.elapsed()),
                }
            }
        }

        let clock = Instant::now();
        let connected = match setup::connect(target, endpoint.clone(), None, &options).await {
            Ok(connected) => connected,
            Err(failure) => {
                let step = if matches!(failure, SetupFailure::Unauthenticated(_)) { "auth" } else { "version" };
                return self.failed(step, &failure.to_string(), &failure.hint(), clock.elapsed());
            }
        };
        self.ok("auth", "token accepted", clock.elapsed());
        self.ok("version", &format!("\"{}\"", connected.version), Duration::ZERO);

        let session = connected.session;
        let clock = Instant::now();
        if let Err(error) = session.subscribe().await {
            let failure = SetupFailure::Rpc(error);
            return self.failed("event stream", &failure.to_string(), &failure.hint(), clock.elapsed());
        }
        match first_event(&session, self.timeout).await {
            Some(description) => self.ok("event stream", &format!("first event: {description}"), clock.elapsed()),
            None => {
                return self.failed(
                    "event stream",
                    &format!("subscribed, but no event within {}", crate::clock::human(self.timeout)),
                    "the official server sends a heartbeat as a stream opens; this one sent nothing: check its logs",
                    clock.elapsed(),
                );
            }
        }

        let clock = Instant::now();
        let shown = Shown(self);
        let healthy = match setup::start_and_wait(&session, login_timeout, &shown).await {
            Ok(bot) => {
                self.ok("login", &format!("logged in as {bot}"), clock.elapsed());
                true
            }
            Err(failure) => self.failed("login", &failure.to_string(), &failure.hint(), clock.elapsed()),
        };
        session.unsubscribe();
        healthy
    }
}

/// Scan events, shown while the doctor waits for the login.
struct Shown<'a>(&'a Doctor);

impl Observer for Shown<'_> {
    fn event(&self, event: RunEvent) {
        if let RunEvent::Phase(text) = event {
            self.0.say(&format!("  {}", self.0.look.paint(&crate::report::one_line(&text), Paint::Dim)));
        }
    }
}

async fn first_event(session: &Session, timeout: Duration) -> Option<String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let entry = session.timeline().wait_for(0, deadline, |entry| matches!(entry.what, What::Event(_))).await?;
    let What::Event(event) = entry.what else { return None };
    Some(if event.connect_heartbeat { format!("{} (stream connect)", event.kind) } else { event.kind.name() })
}
