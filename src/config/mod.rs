//! One conversion from flags to a run: the command line (and the Wechaty
//! SDK's environment variables) turned into a validated [`RunConfig`] — what
//! to check, how, with which suites and checks. Every [`Target`] is built
//! here; nothing downstream edits flags or hand-builds targets.

pub mod claims;
pub mod target;
pub mod targets;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use target::{
    Address, Authority, DEFAULT_AUTHORITY, DiscoveryPolicy, Endpoint, Env, MALFORMED_HINT, ProcessEnv, Target,
    TlsTarget, TrustSource, UsageError, env, server_name_from_token, token_problem,
};

use crate::cli::{OutputArgs, PackageArgs, RunArgs, TargetFlags};
use crate::error::Error;
use crate::mock::Fault;
use crate::suite::{self, Planned, Suite};

/// How the checks behave: windows, budgets, permissions.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The heartbeat observation window; the allowed gap scales with it.
    pub window: Duration,
    /// Overrides the suites' default check budget.
    pub timeout: Option<Duration>,
    pub allow_destructive: bool,
    pub peer_contact: Option<String>,
    /// A room the bot may message and, with `--allow-destructive`, change and put back (`--peer-room`).
    pub peer_room: Option<String>,
    /// Whether the capability rows a person must act on ask one (`--interactive`).
    pub interactive: Interactive,
    /// How long a destructive check waits for the bot to be logged in (an
    /// earlier one may have restarted it).
    pub login_timeout: Duration,
    /// A provider's npm package directory (`--package`).
    pub package: Option<PathBuf>,
    /// What the provider is claimed to support (`--claims`, `--claims-column`), to compare the capabilities with.
    pub claims: Option<crate::vocab::capability::Claims>,
}

/// Whether the capability rows a person must act on (receiving media, accepting a friend or a room invitation) ask
/// one, on the terminal puppet-lint runs in (`--interactive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interactive {
    /// Not asked: those rows are decided from the run's own traffic, or untested.
    Off,
    /// Asked, but stdin or stderr is not a terminal: nobody can be asked, the rows are untested, saying so.
    NoTerminal,
    /// A person at this terminal is asked, one row at a time, after the other checks.
    On,
}

impl Interactive {
    /// What `--interactive` comes to here: on only when stdin and stderr are terminals.
    pub fn of(asked: bool) -> Interactive {
        use std::io::IsTerminal;
        match asked {
            false => Interactive::Off,
            true if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => Interactive::On,
            true => Interactive::NoTerminal,
        }
    }
}

impl Settings {
    /// The spec's 60 s, scaled with the window for short test runs.
    pub fn interval(&self) -> Duration {
        self.window
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window: Duration::from_secs(60),
            timeout: None,
            allow_destructive: false,
            peer_contact: None,
            peer_room: None,
            interactive: Interactive::Off,
            login_timeout: Duration::from_secs(120),
            package: None,
            claims: None,
        }
    }
}

/// Deadlines of the connection walk.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Each rpc's deadline (`--rpc-timeout`).
    pub rpc: Duration,
    /// Opening the connection (TCP, TLS, HTTP/2).
    pub connect: Duration,
    /// Waiting for the bot to log in (time to scan a QR code).
    pub login: Duration,
    pub discovery: DiscoveryPolicy,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            rpc: Duration::from_secs(15),
            connect: Duration::from_secs(10),
            login: Duration::from_secs(120),
            discovery: DiscoveryPolicy::default(),
        }
    }
}

/// What a run checks.
#[derive(Debug, Clone)]
pub enum TargetChoice {
    /// Only checks that need no service (`puppet-lint package`).
    Nothing,
    /// A service given by flags or environment.
    Given(Target),
    /// puppet-lint's own mock, started for this run (`--mock`).
    Mock { faults: Vec<Fault>, heartbeat_interval: Duration, flood_count: u64, slow_delay: Duration },
    /// puppet-lint plays the discovery service at `listen`; the provider
    /// registers its token there (`--registry`).
    Registry { listen: SocketAddr, flags: TargetFlags },
}

/// How checks were chosen, for the report.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub tags: Vec<String>,
}

/// A validated run: everything downstream needs, nothing it must re-check.
#[derive(Clone)]
pub struct RunConfig {
    pub target: TargetChoice,
    pub timeouts: Timeouts,
    pub settings: Settings,
    pub suites: Vec<Arc<Suite>>,
    pub plan: Vec<Planned>,
    pub selection: Selection,
    /// Stop the whole run after this long (`--deadline`).
    pub deadline: Option<Duration>,
    pub output: OutputArgs,
    /// The selection's filters that chose nothing, each with why and what to do (`suite::select::unmatched`):
    /// said as notes, or as why nothing was selected.
    pub notes: Vec<String>,
}

/// A run over several targets (`--targets FILE`, repeated `--token` /
/// `--endpoint`): one config each, every one reporting into its own
/// `<report-dir>/<name>/`.
pub struct Fleet {
    pub members: Vec<Member>,
    /// The run's own output settings: `report_dir` holds the targets'
    /// directories and the combined files.
    pub output: OutputArgs,
    pub deadline: Option<Duration>,
}

/// One target of a [`Fleet`].
pub struct Member {
    pub name: String,
    pub config: RunConfig,
}

impl Fleet {
    /// Several targets from the flags: a targets file, or repeated `--token`
    /// / `--endpoint` (the SDK's environment fills in only for these).
    pub fn from_run_args(args: &RunArgs, env: &dyn Env) -> Result<Fleet, Error> {
        required_rows(&args.require)?;
        if args.registry.is_some() {
            return Err(Error::Usage("--registry checks one provider: give one --token".into()));
        }
        if args.output.baseline.is_some() || args.output.write_baseline.is_some() {
            return Err(Error::Usage(
                "--baseline and --write-baseline apply to one provider: run it alone for its baseline".into(),
            ));
        }
        let suites = suite::load_suites(&args.selection.suites)?;
        let named = match &args.target.targets {
            Some(path) => targets::read_file(path, env)?,
            None => targets::from_flags(&args.target, env)?,
        };
        let run_claims = claims::choose(args.claims.as_deref(), args.claims_column.as_deref())?;
        let mut target_claims = Vec::new();
        for named in &named {
            // A target's own `claims` / `claims_column` replace the run's.
            // A column alone picks from the run's `--claims FILE`, if any.
            target_claims.push(match (&named.claims, &named.claims_column) {
                (None, None) => run_claims.clone(),
                (None, Some(column)) => claims::choose(args.claims.as_deref(), Some(column))?,
                (Some(file), column) => claims::choose(Some(file), column.as_deref())?,
            });
        }
        let members: Vec<Member> = named
            .into_iter()
            .zip(target_claims)
            .map(|(named, claims)| {
                let own = named.selection.is_some();
                let selection = named.selection.unwrap_or_else(|| Selection {
                    only: args.selection.only.clone(),
                    skip: args.selection.skip.clone(),
                    tags: args.selection.tags.clone(),
                });
                let output = OutputArgs { report_dir: args.output.report_dir.join(&named.name), ..args.output.clone() };
                let allow_destructive = named.allow_destructive.unwrap_or(args.allow_destructive);
                let mut config = RunConfig::assemble(
                    args,
                    TargetChoice::Given(named.target),
                    suites.clone(),
                    selection,
                    allow_destructive,
                    output,
                );
                config.settings.claims = claims;
                if let Some(contact) = named.peer_contact {
                    config.settings.peer_contact = Some(contact);
                }
                if let Some(room) = named.peer_room {
                    config.settings.peer_room = Some(room);
                }
                // A target's own selection, narrowed further by the run's.
                if own {
                    let cli = &args.selection;
                    config.plan.retain(|planned| suite::selects(&planned.check, &cli.only, &cli.skip, &cli.tags));
                }
                Member { name: named.name, config }
            })
            .collect();
        for member in &members {
            required_selected(&member.config, &args.require)
                .map_err(|error| Error::Usage(format!("target {}: {}", member.name, error_text(error))))?;
        }
        Ok(Fleet { members, output: args.output.clone(), deadline: args.deadline })
    }
}

impl RunConfig {
    /// `puppet-lint [run]` with one target: flags, then the SDK's
    /// environment variables.
    pub fn from_run_args(args: &RunArgs, env: &dyn Env) -> Result<RunConfig, Error> {
        let suites = suite::load_suites(&args.selection.suites)?;
        // clap counts `--mock`'s default as present: say it here.
        if !args.mock && !args.mock_fault.is_empty() {
            return Err(Error::Usage("--mock-fault needs --mock (it breaks the built-in mock)".into()));
        }
        let flags = args.target.single();
        let target = if args.mock {
            // The mock heartbeats well within a shortened window.
            let heartbeat_interval = (args.heartbeat_window / 4).min(Duration::from_secs(15));
            TargetChoice::Mock {
                faults: args.mock_fault.clone(),
                heartbeat_interval,
                flood_count: args.mock_flood_count,
                slow_delay: args.mock_slow_delay,
            }
        } else if let Some(listen) = args.registry {
            TargetChoice::Registry { listen, flags }
        } else {
            TargetChoice::Given(Target::resolve(&flags, env).map_err(|error| Error::Usage(error.0))?)
        };
        let selection = Selection {
            only: args.selection.only.clone(),
            skip: args.selection.skip.clone(),
            tags: args.selection.tags.clone(),
        };
        required_rows(&args.require)?;
        // The mock has no real account to protect.
        let allow_destructive = args.allow_destructive || args.mock;
        let mut config = RunConfig::assemble(args, target, suites, selection, allow_destructive, args.output.clone());
        config.settings.claims = claims::choose(args.claims.as_deref(), args.claims_column.as_deref())?;
        if args.mock {
            // The mock's people may be messaged and its room changed. Alice is a friend in the room: the bot messages her,
            // takes her out of the room and puts her back; `Add friends` needs someone who is no friend yet
            // (`--peer-contact mock-contact-carol`, who cannot be messaged, as on WeChat).
            config.settings.peer_contact.get_or_insert_with(|| crate::mock::CONTACTS[0].0.to_owned());
            config.settings.peer_room.get_or_insert_with(|| crate::mock::ROOM.0.to_owned());
        }
        required_selected(&config, &args.require)?;
        Ok(config)
    }

    /// A run's config from its parts; the plan follows from the target and
    /// the selection.
    fn assemble(
        args: &RunArgs,
        target: TargetChoice,
        suites: Vec<Arc<Suite>>,
        selection: Selection,
        allow_destructive: bool,
        output: OutputArgs,
    ) -> RunConfig {
        let mut available = vec![];
        if matches!(&target, TargetChoice::Given(Target { address: Address::Discover(_), .. }))
            || matches!(target, TargetChoice::Registry { .. })
        {
            available.push("discovery");
        }
        if args.package.is_some() {
            available.push("package");
        }
        if args.registry.is_some() {
            available.push("registry");
        }
        if !args.no_capabilities {
            available.push("capabilities");
        }
        let mut plan = suite::plan(&suites, &selection.only, &selection.skip, &selection.tags, &available);
        let notes = suite::unmatched(&suites, &selection.only, &selection.skip, &selection.tags, &available);
        // `--require`: the named capabilities bind as `must` (names were checked by `required_rows`).
        let required: Vec<crate::vocab::capability::Row> =
            args.require.iter().filter_map(|name| crate::vocab::capability::Row::find(name)).collect();
        for planned in &mut plan {
            if planned.check.capability_row().is_some_and(|row| required.contains(&row)) {
                let mut check = (*planned.check).clone();
                check.severity = suite::Severity::Must;
                planned.check = Arc::new(check);
            }
        }
        RunConfig {
            timeouts: Timeouts {
                rpc: args.rpc_timeout,
                connect: args.connect_timeout,
                login: args.login_timeout,
                ..Timeouts::default()
            },
            settings: Settings {
                window: args.heartbeat_window,
                timeout: args.timeout,
                allow_destructive,
                peer_contact: args.peer_contact.clone(),
                peer_room: args.peer_room.clone(),
                interactive: Interactive::of(args.interactive),
                login_timeout: args.login_timeout,
                package: args.package.clone(),
                claims: None,
            },
            target,
            suites,
            plan,
            selection,
            deadline: args.deadline,
            output,
            notes,
        }
    }

    /// `puppet-lint package DIR`: the package suite alone, no service.
    pub fn from_package_args(args: &PackageArgs) -> Result<RunConfig, Error> {
        if !args.dir.is_dir() {
            return Err(Error::Usage(format!(
                "{} is not a directory: give the package's directory",
                args.dir.display()
            )));
        }
        // A package.json that is no file to read (a device, a FIFO) or larger than any is refused at once, before
        // anything runs; a missing one is the rules' finding.
        let manifest = args.dir.join("package.json");
        if let Ok(metadata) = std::fs::metadata(&manifest) {
            let refused = if !metadata.is_file() {
                Some(crate::input::InputError::NotAFile("a directory, device, FIFO or socket"))
            } else if metadata.len() > crate::input::cap::PACKAGE_FILE {
                Some(crate::input::InputError::TooLarge { size: metadata.len(), cap: crate::input::cap::PACKAGE_FILE })
            } else {
                None
            };
            if let Some(refused) = refused {
                return Err(Error::Usage(format!("{}: {refused}", manifest.display())));
            }
        }
        let suites: Vec<Arc<Suite>> =
            suite::load_suites(&[])?.into_iter().filter(|suite| suite.when.as_deref() == Some("package")).collect();
        let plan = suite::plan(&suites, &[], &[], &[], &["package"]);
        Ok(RunConfig {
            target: TargetChoice::Nothing,
            timeouts: Timeouts::default(),
            settings: Settings { package: Some(args.dir.clone()), ..Settings::default() },
            suites,
            plan,
            selection: Selection::default(),
            deadline: None,
            output: args.output.clone(),
            notes: Vec::new(),
        })
    }
}

impl Target {
    /// The built-in mock, started at `address` with `token`: plaintext.
    pub fn for_mock(address: SocketAddr, token: &str) -> Target {
        crate::redact::register(token);
        Target {
            address: Address::Endpoint(Endpoint { host: address.ip().to_string(), port: address.port() }),
            token: Some(token.to_owned()),
            tls: None,
        }
    }

    /// A target found through puppet-lint's own registry at `authority`.
    pub fn via_registry(flags: &TargetFlags, authority: &str, env: &dyn Env) -> Result<Target, Error> {
        let mut flags = flags.clone();
        flags.connection.authority = Some(authority.to_owned());
        Target::resolve(&flags, env).map_err(|error| Error::Usage(error.0))
    }
}

/// `--require`'s names, each a row of the capability table (its key or its docs text).
/// Every row `--require` names has its check in the plan: a required row that `--only`, `--skip` or `--tag` left out
/// would never run, and the run would pass without it.
fn required_selected(config: &RunConfig, names: &[String]) -> Result<(), Error> {
    for name in names {
        let Some(row) = crate::vocab::capability::Row::find(name) else { continue };
        if !config.plan.iter().any(|planned| planned.check.capability_row() == Some(row)) {
            return Err(Error::Usage(format!(
                "--require {name}: its check, capability.{}, is not selected (--only, --skip or --tag leave it out), \
                 so the row would never be probed; select it, or do not require it",
                row.key()
            )));
        }
    }
    Ok(())
}

/// A usage error's words, for a message that adds where it happened.
fn error_text(error: Error) -> String {
    match error {
        Error::Usage(text) => text,
        other => other.to_string(),
    }
}

fn required_rows(names: &[String]) -> Result<(), Error> {
    for name in names {
        if crate::vocab::capability::Row::find(name).is_none() {
            let keys: Vec<&str> = crate::vocab::capability::Row::ALL.iter().map(|row| row.key()).collect();
            let near = suite::did_you_mean(name, &keys);
            let near = if near.starts_with("; did you mean") { near } else { String::new() };
            return Err(Error::Usage(format!(
                "--require {name}: no such capability row{near}; rows: {}",
                crate::vocab::capability::Row::keys()
            )));
        }
    }
    Ok(())
}
