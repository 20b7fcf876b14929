//! The GitHub Action's run step, run as GitHub would against a fake
//! puppet-lint (see action/test-run.sh).

#[test]
fn the_action_run_script_passes_its_cases() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new("bash").arg(format!("{root}/action/test-run.sh")).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{text}");
}
