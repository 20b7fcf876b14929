//! A discovery service that says what a test tells it to: each GET gets the
//! next scripted answer (the last one repeats). Loopback only.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub struct Stub {
    pub authority: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

pub async fn serve(answers: Vec<(u16, impl Into<String>)>) -> Stub {
    let answers: Vec<(u16, String)> = answers.into_iter().map(|(status, body)| (status, body.into())).collect();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let authority = format!("http://{}", listener.local_addr().expect("address"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        let mut served = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = vec![0u8; 8192];
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buffer[..read]).to_string();
            let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
            seen.lock().unwrap().push(path);
            let (status, body) = &answers[served.min(answers.len() - 1)];
            served += 1;
            let response = format!(
                "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    Stub { authority, requests }
}

/// How a stub ends a connection once it has written its answer.
#[derive(Clone, Copy)]
enum Then {
    /// Closes it.
    Close,
    /// Holds it open, writing nothing more, until the client gives up and closes it.
    Stall,
}

/// Answers every request (its whole text recorded) with `answer`, then ends the connection as `then` says.
async fn answering(answer: String, then: Then) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let authority = format!("http://{}", listener.local_addr().expect("address"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = vec![0u8; 8192];
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            seen.lock().unwrap().push(String::from_utf8_lossy(&buffer[..read]).to_string());
            let _ = stream.write_all(answer.as_bytes()).await;
            match then {
                Then::Close => {
                    let _ = stream.shutdown().await;
                }
                Then::Stall => {
                    tokio::spawn(async move {
                        // Until the client closes its side (EOF) or the connection breaks.
                        while matches!(stream.read(&mut buffer).await, Ok(read) if read > 0) {}
                    });
                }
            }
        }
    });
    Stub { authority, requests }
}

/// A service that answers every request with a `status` redirect to
/// `location` (another loopback port in tests: nothing leaves the machine).
pub async fn redirecting(status: u16, location: String) -> Stub {
    let answer =
        format!("HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    answering(answer, Then::Close).await
}

/// A service that answers `200` with headers announcing a 100-byte body, sends
/// `prefix` of it, and then holds the connection open without a byte more
/// (`close: false`, a stall) or closes it (`close: true`, a body cut short).
pub async fn unfinished(prefix: &'static str, close: bool) -> Stub {
    let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{prefix}");
    answering(answer, if close { Then::Close } else { Then::Stall }).await
}
