//! gRPC statuses shown to a person: code name, the first line of the details
//! (Node servers append a JavaScript stack), tokens redacted.

use tonic::{Code, Status};

/// `UNAUTHENTICATED: Invalid Wechaty TOKEN "insecure_ab…"`.
pub fn describe_status(status: &Status) -> String {
    let message = first_line(status.message());
    let text = if message.is_empty() {
        code_name(status.code()).to_owned()
    } else {
        format!("{}: {}", code_name(status.code()), message)
    };
    crate::redact::redact(&text).into_owned()
}

/// The first non-empty line, without the stack that follows it.
pub fn first_line(text: &str) -> &str {
    text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("")
}

pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Parses a suite's status name (`unauthenticated`, `UNAUTHENTICATED`).
pub fn code_from_name(name: &str) -> Option<Code> {
    (0..=16).map(Code::from_i32).find(|code| code_name(*code).eq_ignore_ascii_case(&name.replace('-', "_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_stacks_are_cut_to_their_first_line() {
        let status =
            Status::unknown("Error: not logged in\n    at PuppetMock.messageSendText (file.js:1:2)\n    at ...");
        assert_eq!(describe_status(&status), "UNKNOWN: Error: not logged in");
    }

    #[test]
    fn echoed_tokens_are_redacted() {
        crate::redact::register("insecure_status_test_0123456789");
        let status = Status::unauthenticated("Invalid Wechaty TOKEN \"insecure_status_test_0123456789\"");
        let shown = describe_status(&status);
        assert!(!shown.contains("0123456789"), "{shown}");
        assert!(shown.starts_with("UNAUTHENTICATED: Invalid Wechaty TOKEN"), "{shown}");
    }

    #[test]
    fn status_names_parse_in_either_case() {
        assert_eq!(code_from_name("unauthenticated"), Some(Code::Unauthenticated));
        assert_eq!(code_from_name("already-exists"), Some(Code::AlreadyExists));
        assert_eq!(code_from_name("nope"), None);
    }
}
