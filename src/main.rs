use clap::Parser;

use puppet_lint::cli::{Cli, Command};
use puppet_lint::commands;
use puppet_lint::error::Error;
use puppet_lint::exit;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are not errors.
            let code = if error.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = error.print();
            std::process::exit(code);
        }
    };
    return_large_buffers();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("puppet-lint: cannot start: {error}");
            std::process::exit(exit::USAGE);
        }
    };
    let result: Result<(), Error> = runtime.block_on(async move {
        match cli.command {
            None => commands::run::run(cli.run).await,
            Some(Command::Run(args)) => commands::run::run(args).await,
            Some(Command::Doctor(args)) => commands::doctor::doctor(args).await,
            Some(Command::Mock(args)) => commands::mock::mock(args).await,
            Some(Command::List(args)) => commands::list::list(args),
            Some(Command::Schema) => {
                commands::print_stdout(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&puppet_lint::suite::json_schema()).unwrap_or_default()
                ));
                Ok(())
            }
            Some(Command::Report(args)) => commands::report::report(args),
            Some(Command::Discover(args)) => commands::discover::discover(args).await,
            Some(Command::Package(args)) => commands::package::package(args).await,
            Some(Command::Registry(args)) => commands::registry::registry(args).await,
            Some(Command::Matrix(args)) => commands::matrix::matrix(args),
            Some(Command::Rejudge(args)) => commands::rejudge::rejudge(args).await,
            Some(Command::Completions(args)) => commands::completions::completions(args),
        }
    });
    // The one place an outcome becomes an exit code.
    let code = match result {
        Ok(()) => exit::OK,
        Err(error) => {
            if let Some(text) = error.render() {
                // Errors quote what peers and handed-in files said: shown inert, secrets masked.
                let text = puppet_lint::redact::redact(&text);
                eprintln!("{}", puppet_lint::report::escape::terminal::block(&text));
            }
            error.code()
        }
    };
    // Do not wait for tasks still blocked on stdin or a peer.
    runtime.shutdown_background();
    std::process::exit(code);
}

/// Makes glibc hand buffers of 256 KiB and more straight back to the OS when
/// they are freed. By default it raises that threshold to the largest buffer
/// freed so far (up to 32 MiB), so after one 8 MiB payload every later one is
/// carved from a heap that keeps its pages: a service sending huge payloads
/// would leave the harness holding several of them at once (`benches/ingest.rs`:
/// 66 MiB peak on the `huge-payload` misbehaviour before, about 40 after).
///
/// And keeps the harness's threads to two heaps (arenas). By default glibc gives each thread that finds the heaps
/// busy one of its own, up to eight a core; the runtime's worker threads and the blocking pool then spread a run's
/// short-lived buffers over many heaps, and each keeps the pages its peak needed (`benches/fleet.rs`, a hundred
/// targets: 161 MiB of anonymous memory with the default, 134 MiB with two; time within the noise).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_buffers() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    // Free pages inside the heaps go back to the system every [`TRIM_EVERY`]: glibc returns only the top of a heap
    // when memory is freed, and a run's short-lived buffers (answers, encoded requests, a check's steps) leave free
    // pages between live ones that it keeps until the process ends.
    let _ = std::thread::Builder::new().name("malloc-trim".into()).spawn(|| {
        loop {
            std::thread::sleep(TRIM_EVERY);
            // SAFETY: malloc_trim only hands free pages back to the system; it takes the heaps' own locks.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    });
}

/// How often the heaps' free pages are handed back (`return_large_buffers`): `benches/fleet.rs`, a hundred targets,
/// 144–148 MiB of anonymous memory without, 129–131 MiB with a trim every 100 ms (time within the noise).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_buffers() {}
