//! The discovery half: `GET /v0/hosties/<token>` answered as the public
//! service answers it (WIRE.md, "Discovery").

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use std::time::Duration;

use super::{FALLBACK_PORT, Happening, Registry};
use crate::redact;

impl Registry {
    /// `GET /v0/hosties/<token>`, answered as the public service does.
    pub(super) async fn hostie(&self, token: &str) -> Response<Full<Bytes>> {
        let Some(registration) = self.first(token) else {
            return json_response(StatusCode::NOT_FOUND, json!({ "host": "0.0.0.0", "ip": "0.0.0.0", "port": 0 }));
        };
        let port = match self.ask_grpc_port(token).await {
            Ok(port) => port,
            Err(why) => {
                self.tell(Happening::Asked {
                    token: redact::mask(token),
                    answer: format!("{why}; answering {FALLBACK_PORT}"),
                });
                FALLBACK_PORT
            }
        };
        let ip = registration.address();
        let reachable = self.allowed(ip)
            && tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect((ip, port)))
                .await
                .is_ok_and(|connected| connected.is_ok());
        let host = if reachable { ip.to_string() } else { String::new() };
        json_response(StatusCode::OK, json!({ "host": host, "ip": ip.to_string(), "port": port }))
    }
}

pub(super) fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn json_response(status: StatusCode, value: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(byte) = text.get(index + 1..index + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
