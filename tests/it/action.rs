//! The GitHub Action's run and install steps, run as GitHub would against a fake
//! puppet-lint and a fake release (see action/test-run.sh, action/test-install.sh).

#[test]
fn the_action_run_script_passes_its_cases() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new("bash").arg(format!("{root}/action/test-run.sh")).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{text}");
}

/// The install step against a fake release on 127.0.0.1 (see action/test-install.sh):
/// a release tag installs its binary after its SHA-256 is checked, anything else builds from source.
#[test]
fn the_action_install_script_passes_its_cases() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new("bash").arg(format!("{root}/action/test-install.sh")).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{text}");
}
