//! The command line, as typed. `commands/` turns it into validated work.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::mock::Fault;

const ABOUT: &str = "Conformance harness for Wechaty Puppet Services";

const LONG_ABOUT: &str = "\
Conformance harness for Wechaty Puppet Services.

Connects to a Puppet Service (by token, resolved through discovery, or by \
address), runs the Puppet spec's rules written as YAML suites against it, and \
reports each rule as pass, fail, warn, skip, error or timeout: a checklist in \
the terminal, and report.json, junit.xml, summary.md and a certification badge \
in --report-dir.

Try it on the built-in mock provider:   puppet-lint --mock
Check your provider:                    puppet-lint --token YOUR_TOKEN
Several providers at once:              puppet-lint --targets targets.yaml
                                        puppet-lint --no-tls --token T --endpoint HOST:PORT --endpoint HOST:PORT
Re-judge a recorded run offline:        puppet-lint rejudge reports/
Diagnose a connection:                  puppet-lint doctor --token YOUR_TOKEN";

const AFTER_HELP: &str = "\
Environment (the Wechaty SDKs' own; flags win):
  WECHATY_PUPPET_SERVICE_TOKEN                   token (deprecated: WECHATY_PUPPET_HOSTIE_TOKEN)
  WECHATY_PUPPET_SERVICE_ENDPOINT                HOST:PORT (deprecated: WECHATY_PUPPET_HOSTIE_ENDPOINT)
  WECHATY_PUPPET_SERVICE_AUTHORITY               discovery service [default: api.chatie.io]
  WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT  `true` turns TLS off
  WECHATY_PUPPET_SERVICE_TLS_CA_CERT             the CA's PEM (literal \\n allowed)
  WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME         the name the certificate must carry
  NO_COLOR                                       no colour (unless --color always)
  GITHUB_STEP_SUMMARY                            summary.md is appended to it

";

#[derive(Debug, Parser)]
#[command(
    name = "puppet-lint",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = format!("{AFTER_HELP}{}", crate::exit::HELP),
    args_conflicts_with_subcommands = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// With no command: `run`.
    #[command(flatten)]
    pub run: RunArgs,
}

// Parsed once per process: the size of `Run` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run suites against a Puppet Service (what `puppet-lint` alone does).
    Run(RunArgs),
    /// Diagnose a connection step by step: discovery, TCP, TLS, auth, events, login.
    Doctor(DoctorArgs),
    /// Serve the built-in mock Puppet Service (conformant unless given faults).
    Mock(MockArgs),
    /// List the checks of the suites.
    List(ListArgs),
    /// Print the JSON Schema of the suite format (for editors).
    Schema,
    /// Render a saved report.json in another format.
    Report(ReportArgs),
    /// Resolve a token to HOST:PORT through a discovery service.
    Discover(DiscoverArgs),
    /// Check a provider's npm package directory against the spec's package rules.
    Package(PackageArgs),
    /// Serve a local discovery and registration service (like api.chatie.io).
    Registry(RegistryArgs),
    /// Render a compatibility matrix (providers × checks) from saved reports.
    Matrix(MatrixArgs),
    /// Judge a recorded run again, offline, from its timeline.jsonl (e.g. with a newer suite).
    #[command(long_about = REJUDGE_ABOUT)]
    Rejudge(RejudgeArgs),
    /// Print a shell completion script (e.g. `puppet-lint completions bash > /etc/bash_completion.d/puppet-lint`).
    Completions(CompletionsArgs),
}

#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args, Clone, Default)]
pub struct SelectionArgs {
    /// A suite file to run, instead of the built-in suites (repeatable).
    #[arg(long = "suite", value_name = "FILE", help_heading = "Selection")]
    pub suites: Vec<PathBuf>,

    /// Run only checks whose id matches (repeatable; `*` and `?` wildcards).
    #[arg(long, value_name = "GLOB", help_heading = "Selection")]
    pub only: Vec<String>,

    /// Leave out checks whose id matches (repeatable).
    #[arg(long, value_name = "GLOB", help_heading = "Selection")]
    pub skip: Vec<String>,

    /// Run only checks with this tag (repeatable: any of them).
    #[arg(long = "tag", value_name = "TAG", help_heading = "Selection")]
    pub tags: Vec<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: RunTargetFlags,

    /// Start the built-in mock provider on a free loopback port and run
    /// against it (a demo; also a check of puppet-lint itself). Destructive
    /// checks are included: the mock has no real account to protect.
    #[arg(long, help_heading = "Target", conflicts_with_all = ["token", "endpoint", "authority", "targets"])]
    pub mock: bool,

    /// With --mock: make the mock break one rule, or misbehave at the wire
    /// (repeatable; see `puppet-lint mock --help` for the list).
    #[arg(long, value_name = "FAULT", requires = "mock", help_heading = "Target")]
    pub mock_fault: Vec<Fault>,

    /// With --mock-fault flood: how many `message` events the flood sends.
    #[arg(long, value_name = "N", default_value_t = crate::mock::DEFAULT_FLOOD_COUNT, requires = "mock", help_heading = "Target")]
    pub mock_flood_count: u64,

    /// With --mock-fault slow: how late every answer comes.
    #[arg(long, value_name = "DUR", default_value = "20s", value_parser = duration, requires = "mock", help_heading = "Target")]
    pub mock_slow_delay: Duration,

    #[command(flatten)]
    pub selection: SelectionArgs,

    /// The heartbeat rule's observation window; the allowed gap between
    /// events scales with it (the spec's 60s). Shorten it for demos and tests.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = duration, help_heading = "Checks")]
    pub heartbeat_window: Duration,

    /// Budget of checks that set none [default: the suite's, 60s].
    #[arg(long, value_name = "DUR", value_parser = duration, help_heading = "Checks")]
    pub timeout: Option<Duration>,

    /// How long to wait for the bot to log in (time to scan a QR code).
    #[arg(long, value_name = "DUR", default_value = "2m", value_parser = duration, help_heading = "Checks")]
    pub login_timeout: Duration,

    /// Deadline of each rpc.
    #[arg(long, value_name = "DUR", default_value = "15s", value_parser = duration, help_heading = "Checks")]
    pub rpc_timeout: Duration,

    /// Deadline for opening the connection: TCP, TLS, and the server's first
    /// HTTP/2 frame.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = duration, help_heading = "Checks")]
    pub connect_timeout: Duration,

    /// Stop the whole run after this long (the reports say it is partial).
    #[arg(long, value_name = "DUR", value_parser = duration, help_heading = "Checks")]
    pub deadline: Option<Duration>,

    /// Also run destructive checks (they log the bot out and restart it;
    /// with --capabilities they also make a group and quit it, change
    /// --peer-room's members, ask --peer-contact for friendship). They run
    /// last, one at a time, and put back what they change.
    #[arg(long, help_heading = "Checks")]
    pub allow_destructive: bool,

    /// A contact the bot may message, so the echo rule is checked for a
    /// contact too, not only for the bot itself. With --capabilities and
    /// --allow-destructive it is also put in a new group (which the bot then
    /// quits), added to and removed from --peer-room (and put back), and
    /// asked for friendship when it is not a friend yet: best a second
    /// account of yours.
    #[arg(long, value_name = "ID", help_heading = "Checks")]
    pub peer_contact: Option<String>,

    /// A room the bot may message (the `@Group member` capability) and, with
    /// --allow-destructive, whose announcement and name it may change and put
    /// back, and whose members it may change (--peer-contact added or
    /// removed) and put back.
    #[arg(long, value_name = "ID", help_heading = "Checks")]
    pub peer_room: Option<String>,

    /// Ask a person at this terminal to act for the capability rows that
    /// need one (send the bot a picture, a video, a GIF, a voice message;
    /// ask it for friendship; invite it to a group): one row at a time,
    /// after the other checks, each waiting up to 120 s (Enter skips). Needs
    /// stdin and stderr on a terminal; without one those rows are untested,
    /// saying so. Without this flag they are decided from what the run
    /// received, or untested.
    #[arg(long, help_heading = "Checks")]
    pub interactive: bool,

    /// What every run does already (kept for scripts that name it): probe
    /// what the provider can do.
    #[arg(long, hide = true)]
    pub capabilities: bool,

    /// Leave out the capability probes. A run probes what the provider can
    /// do by default: one probe per row of the Wechaty docs' compatibility
    /// table (suites/capabilities.yaml), beside the conformance checks and
    /// within the heartbeat window — only rows that read, or send to the bot
    /// itself; --peer-contact/--peer-room and --allow-destructive add the
    /// others. Capabilities never fail a run unless named with --require.
    #[arg(long, help_heading = "Checks", conflicts_with_all = ["capabilities", "require", "claims", "claims_column"])]
    pub no_capabilities: bool,

    /// Capabilities the bot needs (row keys or the docs' row text, comma-
    /// separated or repeated): anything but supported or partial fails the
    /// run.
    #[arg(long, value_name = "ROW", value_delimiter = ',', help_heading = "Checks")]
    pub require: Vec<String>,

    /// Compare the capabilities with what the provider claims, from a
    /// claims file (YAML: `source`, `date`, `columns: {NAME: {ROW: ✅|❌}}`;
    /// docs/capabilities/claims.md). The reports show every row where a
    /// claim and a measurement disagree, both ways.
    #[arg(long, value_name = "FILE", help_heading = "Checks")]
    pub claims: Option<PathBuf>,

    /// The claims column to compare with: one of the Wechaty docs'
    /// compatibility table shipped with puppet-lint (donut, wxwork, paimon,
    /// padlocal, workpro), or of --claims FILE when it has several.
    #[arg(long, value_name = "NAME", help_heading = "Checks")]
    pub claims_column: Option<String>,

    /// Also check this provider's npm package directory (the spec's package
    /// rules).
    #[arg(long, value_name = "DIR", help_heading = "Checks")]
    pub package: Option<PathBuf>,

    /// Be the discovery and registration service at ADDR: the provider
    /// registers its token with puppet-lint, which then resolves it and
    /// checks the registration (needs --token).
    #[arg(long, value_name = "ADDR", requires = "token", conflicts_with_all = ["endpoint", "authority", "mock", "targets"], help_heading = "Target")]
    pub registry: Option<SocketAddr>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Check ids known to fail: exit 0 when exactly these fail; one that
    /// passes now fails the run as stale.
    #[arg(long, value_name = "FILE", help_heading = "CI")]
    pub baseline: Option<PathBuf>,

    /// Write the ids of the `must` checks that failed to FILE (for --baseline).
    #[arg(long, value_name = "FILE", help_heading = "CI")]
    pub write_baseline: Option<PathBuf>,

    /// Where report.json, junit.xml, summary.md and badge.* go.
    #[arg(long, value_name = "DIR", default_value = "reports", help_heading = "Output")]
    pub report_dir: PathBuf,

    /// Write no report files.
    #[arg(long, help_heading = "Output")]
    pub no_report: bool,

    #[arg(long, value_enum, value_name = "WHEN", default_value_t, help_heading = "Output")]
    pub color: ColorChoice,

    /// No live progress (the checklist still prints).
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,
}

#[derive(Debug, Args, Clone)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub target: TargetFlags,

    /// Diagnose the built-in mock (on a free loopback port).
    #[arg(long, help_heading = "Target", conflicts_with_all = ["token", "endpoint", "authority"])]
    pub mock: bool,

    /// How long to wait for the bot to log in.
    #[arg(long, value_name = "DUR", default_value = "2m", value_parser = duration)]
    pub login_timeout: Duration,

    /// Deadline of each step: the connection, the TLS handshake, each rpc
    /// (`--rpc-timeout` and `--connect-timeout` are the same flag here).
    #[arg(
        long,
        visible_aliases = ["rpc-timeout", "connect-timeout"],
        value_name = "DUR",
        default_value = "15s",
        value_parser = duration
    )]
    pub step_timeout: Duration,

    #[arg(long, value_enum, value_name = "WHEN", default_value_t)]
    pub color: ColorChoice,
}

#[derive(Debug, Args, Clone)]
pub struct MockArgs {
    /// Address to listen on (keep it on loopback).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8788")]
    pub listen: SocketAddr,

    /// The token clients must send.
    #[arg(long, value_name = "TOKEN", default_value = crate::mock::DEFAULT_TOKEN)]
    pub token: String,

    /// Serve TLS with a certificate made at start (X.509 v1 with only a CN,
    /// like the official server's); its CA is written to --tls-ca-out.
    #[arg(long)]
    pub tls: bool,

    /// Where to write the CA certificate clients must trust (with --tls).
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_ca_out: Option<PathBuf>,

    /// Break one rule of the spec, or misbehave at the wire (repeatable).
    /// Rule faults make one check fail; misbehaviours (marked so) test a
    /// client's own resilience: `crash`, `hang-all`, `flood`, ….
    #[arg(long, value_name = "FAULT")]
    pub fault: Vec<Fault>,

    /// How many `message` events `--fault flood` sends.
    #[arg(long, value_name = "N", default_value_t = crate::mock::DEFAULT_FLOOD_COUNT)]
    pub flood_count: u64,

    /// How late every answer comes under `--fault slow`.
    #[arg(long, value_name = "DUR", default_value = "20s", value_parser = duration)]
    pub slow_delay: Duration,

    /// Time between the mock's heartbeats.
    #[arg(long, value_name = "DUR", default_value = "15s", value_parser = duration)]
    pub heartbeat_interval: Duration,
}

#[derive(Debug, Args, Clone)]
#[command(after_help = "Examples:\n  \
    puppet-lint list                              every check: its level, what it asks, when it runs\n  \
    puppet-lint list events.resubscribe           one check in full: what it asks, why, its source\n  \
    puppet-lint list 'filebox.*' --tag message    checks by id pattern and tag\n  \
    puppet-lint list --format markdown > CHECKS.md")]
pub struct ListArgs {
    /// Show these checks in full (ids; `*` and `?` wildcards), one after
    /// another, instead of the table.
    #[arg(value_name = "CHECK")]
    pub checks: Vec<String>,

    #[command(flatten)]
    pub selection: SelectionArgs,

    #[arg(long, value_enum, default_value_t)]
    pub format: ListFormat,

    #[arg(long, value_enum, value_name = "WHEN", default_value_t)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum ListFormat {
    /// A table for the terminal: id, level, what each check asks, when it runs.
    #[default]
    Table,
    /// One JSON object per check (id, title, level, tags, requirement, spec, …).
    Json,
    /// A Markdown table, for a provider's own documentation.
    Markdown,
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// A report.json written by a run, or the directory it wrote it to
    /// (its DIR/report.json is read).
    pub file: PathBuf,

    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,

    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[arg(long, value_enum, value_name = "WHEN", default_value_t)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    #[default]
    Checklist,
    Junit,
    Markdown,
    /// The badge as SVG.
    Badge,
    /// The badge as shields.io endpoint JSON.
    BadgeJson,
    Json,
    /// GitHub Actions workflow commands: `::error` per failed `must`,
    /// `::warning` per failed `should`.
    Github,
    /// The run as a page (`report.html`): the timeline drawn, every check with
    /// its evidence linked to its place on it; self-contained, no script.
    Html,
}

#[derive(Debug, Args, Clone)]
pub struct DiscoverArgs {
    /// The token to resolve [env: WECHATY_PUPPET_SERVICE_TOKEN].
    pub token: Option<String>,

    /// Discovery service: host (https), host:port, or an http(s):// URL
    /// [env: WECHATY_PUPPET_SERVICE_AUTHORITY] [default: api.chatie.io].
    #[arg(long, value_name = "HOST|URL")]
    pub authority: Option<String>,
}

/// A duration flag: `60s`, `1m30s`, `250ms`; never zero (a zero window,
/// deadline or interval cannot mean anything useful).
fn duration(text: &str) -> Result<Duration, String> {
    match crate::clock::parse_duration(text)? {
        Duration::ZERO => Err(format!("\"{text}\" is zero: give a duration above zero, like 5s")),
        duration => Ok(duration),
    }
}

#[derive(Debug, Args, Clone)]
pub struct PackageArgs {
    /// The package directory (with package.json).
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone)]
pub struct RegistryArgs {
    /// Address to listen on; providers register at ws://ADDR/v0/websocket,
    /// clients discover at http://ADDR/v0/hosties/<token>.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// An address besides loopback the registry may probe (repeatable).
    #[arg(long, value_name = "IP")]
    pub allow: Vec<std::net::IpAddr>,
}

/// The targets of a run: one (as `doctor` takes it), several by repeating
/// `--token` / `--endpoint`, or a targets file.
#[derive(Args, Debug, Clone, Default)]
pub struct RunTargetFlags {
    /// Puppet Service token. Resolved to HOST:PORT through discovery unless
    /// --endpoint is given; always sent as `authorization: Wechaty <token>`.
    /// Never printed in full. Repeat it to check several services in one run
    /// (paired in order with repeated --endpoint, or one token for every
    /// endpoint). [env: WECHATY_PUPPET_SERVICE_TOKEN]
    #[arg(long, value_name = "TOKEN", help_heading = "Target")]
    pub token: Vec<String>,

    /// Connect to HOST:PORT directly, skipping discovery. Repeat it to check
    /// several services in one run, each reported in --report-dir/<HOST-PORT>/.
    /// [env: WECHATY_PUPPET_SERVICE_ENDPOINT]
    #[arg(long, value_name = "HOST:PORT", help_heading = "Target")]
    pub endpoint: Vec<String>,

    /// Check every service listed in FILE (YAML: a list of named targets, each
    /// with token and/or endpoint, authority, TLS settings, and optionally its
    /// own only/skip/tags and allow_destructive), all at once: one report
    /// directory per target (--report-dir/<name>/), a combined checklist, and
    /// the worst target's exit code. See docs/several-providers.md.
    #[arg(long, value_name = "FILE", help_heading = "Target", conflicts_with_all = ["token", "endpoint", "authority", "no_tls", "tls_ca_cert", "tls_server_name"])]
    pub targets: Option<PathBuf>,

    #[command(flatten)]
    pub connection: ConnectionFlags,
}

impl RunTargetFlags {
    /// Whether the flags name more than one service (or a targets file).
    pub fn several(&self) -> bool {
        self.targets.is_some() || self.token.len() > 1 || self.endpoint.len() > 1
    }

    /// The flags of one target: `token` and `endpoint` as given (the shared
    /// TLS and discovery settings copied).
    pub fn one(&self, token: Option<String>, endpoint: Option<String>) -> TargetFlags {
        TargetFlags { token, endpoint, connection: self.connection.clone() }
    }

    /// The flags of a single-target run.
    pub fn single(&self) -> TargetFlags {
        self.one(self.token.first().cloned(), self.endpoint.first().cloned())
    }
}

/// How a service is reached, shared by a run and `doctor`: the discovery
/// service and the TLS settings.
#[derive(Args, Debug, Clone, Default)]
pub struct ConnectionFlags {
    /// Discovery service resolving tokens: a host (https), host:port, or an
    /// http:// or https:// URL. [env: WECHATY_PUPPET_SERVICE_AUTHORITY]
    /// [default: api.chatie.io]
    #[arg(long, value_name = "HOST|URL", help_heading = "Target")]
    pub authority: Option<String>,

    /// Connect without TLS (TLS is on by default, as in the official client).
    /// [env: WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true]
    #[arg(long, help_heading = "Target")]
    pub no_tls: bool,

    /// PEM file of the CA that signed the server's certificate
    /// [default: the public Wechaty root CA, built in]
    /// [env: WECHATY_PUPPET_SERVICE_TLS_CA_CERT, holding the PEM itself]
    #[arg(long, value_name = "FILE", help_heading = "Target")]
    pub tls_ca_cert: Option<PathBuf>,

    /// Name the server's certificate must carry [default: the token's part
    /// before its last `_`, lower-cased] [env: WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME]
    #[arg(long, value_name = "NAME", help_heading = "Target")]
    pub tls_server_name: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct TargetFlags {
    /// Puppet Service token. Resolved to HOST:PORT through discovery unless
    /// --endpoint is given; always sent as `authorization: Wechaty <token>`.
    /// Never printed in full. [env: WECHATY_PUPPET_SERVICE_TOKEN]
    #[arg(long, value_name = "TOKEN", help_heading = "Target")]
    pub token: Option<String>,

    /// Connect to HOST:PORT directly, skipping discovery.
    /// [env: WECHATY_PUPPET_SERVICE_ENDPOINT]
    #[arg(long, value_name = "HOST:PORT", help_heading = "Target")]
    pub endpoint: Option<String>,

    #[command(flatten)]
    pub connection: ConnectionFlags,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args, Clone)]
#[command(after_help = "Examples:\n  \
    puppet-lint matrix reports/                      every reports/<name>/report.json, named <name>\n  \
    puppet-lint matrix acme=a.json beta=b.json --format html --output matrix.html")]
pub struct MatrixArgs {
    /// report.json files, directories holding `<name>/report.json`, or
    /// `NAME=PATH` to name a provider.
    #[arg(required = true, value_name = "REPORT|DIR|NAME=PATH")]
    pub inputs: Vec<String>,

    #[arg(long, value_enum, default_value_t)]
    pub format: MatrixFormat,

    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Only the capability section (runs with --capabilities): the Wechaty
    /// docs' compatibility table, measured, with each provider's coverage
    /// and correctness and where its claims disagree.
    #[arg(long)]
    pub capabilities_only: bool,
}

const REJUDGE_ABOUT: &str = "Judge a recorded run again, offline, from its recording (DIR/timeline.jsonl; DIR/report.json \
        names the target): every check that only observes the timeline — the login-state rules \
        (events.login-states, events.no-scan-while-logged-in, …), the payload shapes (payloads.shape, …) and \
        the heartbeat rule (heartbeat.interval, over the span its recorded check watched) — is judged again with today's suites (or --suite); checks that must act on a live service end `skip` \
        with \"needs a live service\". It writes the same reports as a run and exits as a run would.";

#[derive(Debug, Args, Clone)]
#[command(after_help = "Examples:\n  \
    puppet-lint rejudge reports/                        → reports/rejudged/\n  \
    puppet-lint rejudge reports/acme --suite new-suite.yaml --report-dir rejudged-acme\n  \
    puppet-lint rejudge reports/ --format json --no-report")]
pub struct RejudgeArgs {
    /// A run's report directory (holding timeline.jsonl and report.json).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// A suite file to judge with, instead of the built-in suites (repeatable).
    #[arg(long = "suite", value_name = "FILE")]
    pub suites: Vec<PathBuf>,

    /// Where the new report.json, junit.xml, summary.md and badge.* go
    /// [default: DIR/rejudged].
    #[arg(long, value_name = "OUT")]
    pub report_dir: Option<PathBuf>,

    /// Write no report files.
    #[arg(long)]
    pub no_report: bool,

    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,

    #[arg(long, value_enum, value_name = "WHEN", default_value_t)]
    pub color: ColorChoice,

    /// Print nothing on standard error (where the reports went); the
    /// checklist still prints, as in a run.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// GitHub-flavoured Markdown, for docs and READMEs.
    #[default]
    Markdown,
    /// One self-contained page: sortable, filterable, no network.
    Html,
    Json,
}
