//! Files handed in (report.json, package.json, a provider's example, suites, targets files, baselines, CA
//! certificates) are read bounded: a regular file — a device, a FIFO or a directory is refused before anything is
//! read (a link to `/dev/zero` would never end) — of at most its kind's cap, read with the cap as a hard stop (a
//! file that grows while it is read is caught too). Recordings have their own line-wise bound
//! (`session::timeline`: each line, and the file as a whole, before it is read).

use std::io::Read;
use std::path::Path;

/// Caps, in bytes, by kind of input.
pub mod cap {
    /// A `report.json` (a 100-target matrix reads a hundred of them).
    pub const REPORT: u64 = 16 << 20;
    /// A provider's `package.json` or one of its source files (the example).
    pub const PACKAGE_FILE: u64 = 4 << 20;
    /// A YAML suite.
    pub const SUITE: u64 = 4 << 20;
    /// A targets file, a baseline, a PEM certificate.
    pub const SMALL: u64 = 1 << 20;
}

/// Why a file handed in was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    #[error("it is not a regular file ({0}), so not something to read")]
    NotAFile(&'static str),
    #[error("it is larger than {} (its size: {}), more than such a file ever holds", human(*cap), human(*size))]
    TooLarge { size: u64, cap: u64 },
    #[error("it is not UTF-8 text")]
    NotText,
}

impl From<InputError> for std::io::Error {
    /// For readers that report an `io::Error`: the original one (not found, permission) kept as it is.
    fn from(error: InputError) -> Self {
        match error {
            InputError::Io(error) => error,
            other => std::io::Error::other(other.to_string()),
        }
    }
}

/// [`read_text`] as an `io::Result`, for readers that report `io::Error`s.
pub fn read_to_string(path: &Path, cap: u64) -> std::io::Result<String> {
    read_text(path, cap).map_err(std::io::Error::from)
}

/// [`read`] as an `io::Result`.
pub fn read_bytes(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    read(path, cap).map_err(std::io::Error::from)
}

fn human(bytes: u64) -> String {
    match bytes {
        bytes if bytes >= 1 << 20 => format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20)),
        bytes if bytes >= 1 << 10 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        bytes => format!("{bytes} bytes"),
    }
}

/// The bytes of the regular file at `path`, at most `cap` of them.
pub fn read(path: &Path, cap: u64) -> Result<Vec<u8>, InputError> {
    // Looked at before it is opened: opening a FIFO waits for a writer, forever.
    let metadata = std::fs::metadata(path)?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        return Err(InputError::NotAFile(if kind.is_dir() { "a directory" } else { "a device, FIFO or socket" }));
    }
    let file = std::fs::File::open(path)?;
    if metadata.len() > cap {
        return Err(InputError::TooLarge { size: metadata.len(), cap });
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(InputError::TooLarge { size: bytes.len() as u64, cap });
    }
    Ok(bytes)
}

/// Whether `path` stays inside `dir` once links are followed (a file a
/// handed-in package or report names must not lead elsewhere). A path that
/// does not resolve is left to the read to report.
pub fn stays_within(path: &Path, dir: &Path) -> bool {
    match (std::fs::canonicalize(path), std::fs::canonicalize(dir)) {
        (Ok(path), Ok(dir)) => path.starts_with(dir),
        _ => true,
    }
}

/// [`read`], as UTF-8 text.
pub fn read_text(path: &Path, cap: u64) -> Result<String, InputError> {
    String::from_utf8(read(path, cap)?).map_err(|_| InputError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_leading_outside_its_directory_does_not_stay_within() {
        let dir = std::env::temp_dir().join(format!("puppet-lint-within-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("inner")).unwrap();
        std::fs::write(dir.join("inner/own.txt"), "x").unwrap();
        std::fs::write(dir.join("outside.txt"), "x").unwrap();
        let _ = std::fs::remove_file(dir.join("inner/link.txt"));
        std::os::unix::fs::symlink(dir.join("outside.txt"), dir.join("inner/link.txt")).unwrap();
        assert!(stays_within(&dir.join("inner/own.txt"), &dir.join("inner")));
        assert!(!stays_within(&dir.join("inner/link.txt"), &dir.join("inner")));
        assert!(!stays_within(&dir.join("inner/../outside.txt"), &dir.join("inner")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn devices_directories_and_oversized_files_are_refused() {
        assert!(matches!(read(Path::new("/dev/zero"), cap::SMALL), Err(InputError::NotAFile(_))));
        assert!(matches!(read(Path::new("/"), cap::SMALL), Err(InputError::NotAFile("a directory"))));
        let dir = std::env::temp_dir().join(format!("puppet-lint-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.json");
        std::fs::write(&big, vec![b' '; 2048]).unwrap();
        let error = read(&big, 1024).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it is larger than 1.0 KiB (its size: 2.0 KiB), more than such a file ever holds"
        );
        assert_eq!(read_text(&big, 4096).unwrap().len(), 2048);
        let link = dir.join("zero");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(matches!(read(&link, cap::SMALL), Err(InputError::NotAFile(_))));
        let fifo = dir.join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(matches!(read(&fifo, cap::SMALL), Err(InputError::NotAFile(_))), "refused, not waited on");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
