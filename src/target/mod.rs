//! Finding and reaching the target: discovery (token → address), TLS as
//! Wechaty does it (trust, the official server's X.509 v1 certificate), and
//! the transport (TCP, TLS, HTTP/2) a gRPC channel runs on. Each failure says
//! which layer failed.

pub mod connect;
pub mod discovery;
pub mod grpc;
pub mod http2;
pub mod layer;
mod listened;
pub mod tls;
