//! What the mock does to a request before any handler sees it: the token an
//! HTTP/2 `:authority` carries (what the official client sends without TLS),
//! and the misbehaviours that act on every rpc alike (`hang-all`, `slow`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tower::Service;

/// The request's `:authority`, when it carries no `authorization` metadata:
/// the official server then takes the authority as the token (WIRE.md,
/// "Auth and TLS").
#[derive(Debug, Clone)]
pub struct AuthorityToken(pub String);

#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    /// No answer, ever.
    pub hang: bool,
    /// Every answer this late; the handler runs at once.
    pub delay: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Wire<S> {
    inner: S,
    behaviour: Behaviour,
}

impl<S> Wire<S> {
    pub fn new(inner: S, behaviour: Behaviour) -> Wire<S> {
        Wire { inner, behaviour }
    }
}

impl<S, B> Service<http::Request<B>> for Wire<S>
where
    S: Service<http::Request<B>>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        if !request.headers().contains_key("authorization")
            && let Some(authority) = request.uri().authority().map(|authority| authority.as_str().to_owned())
        {
            request.extensions_mut().insert(AuthorityToken(authority));
        }
        let Behaviour { hang, delay } = self.behaviour;
        if hang {
            // Never polled, so the handler never runs: nothing happens, nothing answers.
            drop(self.inner.call(request));
            return Box::pin(std::future::pending());
        }
        let answer = self.inner.call(request);
        Box::pin(async move {
            let answer = answer.await;
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            answer
        })
    }
}
