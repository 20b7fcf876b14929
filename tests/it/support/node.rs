//! The official Node server (fixtures/interop) as a test peer: installed from
//! the npm registry with the committed lock the first time it is needed,
//! started per test, gone when the test is.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub fn fixture_dir() -> PathBuf {
    fixture("interop")
}

pub fn fixture(name: &str) -> PathBuf {
    super::fixtures().join(name)
}

/// `Some(())` when Node and the interop fixture's packages are there.
/// Without Node, a test is skipped — except under CI=true, where that is a
/// failure.
pub fn available() -> Option<()> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    ready(&READY, "interop")
}

/// The same for the registration fixture (wechaty's own IoClient).
pub fn registration_available() -> Option<()> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    ready(&READY, "registration")
}

fn ready(cell: &OnceLock<Result<(), String>>, name: &str) -> Option<()> {
    let ready = cell.get_or_init(|| {
        let node = Command::new("node").arg("--version").output().map_err(|error| format!("node: {error}"))?;
        if !node.status.success() {
            return Err("node --version failed".into());
        }
        let installed = fixture(name).join("node_modules/wechaty-puppet-service/package.json");
        if !installed.exists() {
            eprintln!("installing the {name} fixture's npm packages (fixtures/{name})…");
            // `npm install`, not `npm ci`: npm 11's lock leaves out other
            // platforms' optional packages, which `npm ci` rejects.
            let status = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(fixture(name))
                .status()
                .map_err(|error| format!("npm: {error}"))?;
            if !status.success() || !installed.exists() {
                return Err(format!("npm install in fixtures/{name} failed ({status})"));
            }
        }
        Ok(())
    });
    match ready {
        Ok(()) => Some(()),
        Err(why) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("the interop tests need Node.js and the fixture's npm packages under CI: {why}")
        }
        Err(why) => {
            eprintln!("skipping an interop test: {why}");
            None
        }
    }
}

/// A running `server.mjs`. Dropping it ends the server (its stdin closes).
pub struct NodeServer {
    child: Child,
    pub port: u16,
    pub token: String,
}

impl NodeServer {
    /// `extra`: more `server.mjs` options (`--chatter`, …).
    pub fn start(token: &str, tls: bool, extra: &[&str]) -> NodeServer {
        let mut command = Command::new("node");
        command
            .arg("server.mjs")
            .args(["--port", "0", "--token", token, if tls { "--tls" } else { "--no-tls" }])
            .args(extra);
        let (child, ready) = spawn_ready(command, "interop");
        let port = ready["port"].as_u64().expect("a port") as u16;
        NodeServer { child, port, token: token.to_owned() }
    }

    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a fixture script (`grpc-client.mjs`, …) to completion.
pub fn script(name: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::new("node")
        .arg(name)
        .args(args)
        .current_dir(fixture_dir())
        .stdin(Stdio::null())
        .output()
        .expect("node runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

/// `fixtures/registration/provider.mjs`: a provider registering with a
/// registry through wechaty's own IoClient, serving gRPC itself.
pub struct Provider {
    child: Child,
    pub grpc_port: u16,
}

impl Provider {
    pub fn start(token: &str, registry: &str, extra: &[&str]) -> Provider {
        let mut command = Command::new("node");
        command.arg("provider.mjs").args(["--token", token, "--authority", registry]).args(extra);
        let (child, ready) = spawn_ready(command, "registration");
        Provider { child, grpc_port: ready["grpcPort"].as_u64().expect("a port") as u16 }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a fixture script that prints one JSON line once it is ready, and
/// returns it with that line. Its stdin is a pipe: when the test ends, the
/// script sees it close and exits.
fn spawn_ready(mut command: Command, fixture_name: &str) -> (Child, serde_json::Value) {
    let mut child = command
        .current_dir(fixture(fixture_name))
        .env_remove("WECHATY_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("piped");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver.recv_timeout(Duration::from_secs(60)).expect("the fixture says it is ready within 60 s");
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("the fixture said {line:?}"));
    assert_eq!(ready["ready"], true, "the fixture: {line}");
    (child, ready)
}
