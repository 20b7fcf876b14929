//! The registration half: a provider's WebSocket at `/v0/websocket`, its
//! subprotocol echoed, its frames read, and JSON-RPC asks relayed to it
//! (WIRE.md, "Registration").

use super::*;

impl Registry {
    /// The WebSocket handshake by hand (hyper upgrades, tungstenite frames).
    pub(super) fn websocket(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
        held: Arc<OwnedSemaphorePermit>,
    ) -> Response<Full<Bytes>> {
        let headers = request.headers();
        let header_text =
            |name: header::HeaderName| headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let refuse = |status: StatusCode, why: &str| {
            self.tell(Happening::Refused { peer, why: why.to_owned() });
            text(status, &format!("{why}\n"))
        };
        let upgrade = header_text(header::UPGRADE).is_some_and(|value| value.eq_ignore_ascii_case("websocket"));
        let Some(key) = header_text(header::SEC_WEBSOCKET_KEY).filter(|_| upgrade) else {
            return refuse(StatusCode::BAD_REQUEST, "not a WebSocket upgrade");
        };
        let Some(token) = header_text(header::AUTHORIZATION)
            .and_then(|value| value.strip_prefix("Token ").map(|token| token.trim().to_owned()))
        else {
            return refuse(StatusCode::UNAUTHORIZED, "no `Authorization: Token <token>`");
        };
        if token.is_empty() {
            return refuse(StatusCode::UNAUTHORIZED, "an empty token");
        }
        // Not registered as a secret: any peer could then mask arbitrary text
        // in puppet-lint's output. The registry only ever shows tokens masked.
        let Some(protocol) = header_text(header::SEC_WEBSOCKET_PROTOCOL) else {
            return refuse(StatusCode::BAD_REQUEST, "no `io|0.0.1|<uuid>|<ip>|<port>` subprotocol");
        };
        let parts: Vec<&str> = protocol.split('|').collect();
        if parts.len() < 3 || parts[0] != "io" {
            return refuse(
                StatusCode::BAD_REQUEST,
                // Shown masked: whatever a peer sends here may be a token.
                &format!("subprotocol {:?} is not `io|<version>|<uuid>|<ip>|<port>`", redact::mask(&protocol)),
            );
        }
        let client = parts[2].to_owned();
        let advertised_ip = parts.get(3).map(|ip| ip.to_string()).unwrap_or_default();
        let registry = self.clone();
        let upgraded = hyper::upgrade::on(request);
        tokio::spawn(async move {
            if let Ok(upgraded) = upgraded.await {
                let config = Some(super::budget::websocket());
                let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, config).await;
                // Counted apart until it registers: unregistered sockets cannot fill the connection slots.
                let unregistered = Unregistered::new(&registry);
                registry.serve_socket(socket, token, peer, client, advertised_ip, unregistered).await;
            }
            // The connection's slot is free once its socket is.
            drop(held);
        });
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        // The provider aborts unless its subprotocol comes back exactly.
        if let Ok(protocol) = HeaderValue::from_str(&protocol) {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        response
    }

    async fn serve_socket<S>(
        &self,
        socket: WebSocketStream<S>,
        token: String,
        peer: SocketAddr,
        client: String,
        advertised_ip: String,
        unregistered: Unregistered,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (outgoing, mut queue) = mpsc::unbounded_channel();
        let registration = Arc::new(Registration {
            peer,
            client: client.clone(),
            advertised_ip: advertised_ip.clone(),
            outgoing,
            pending: Mutex::new(HashMap::new()),
            redactor: redact::Redactor::new(&token),
        });
        self.0
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(token.clone())
            .or_default()
            .push(registration.clone());
        self.0.changed.send_modify(|count| *count += 1);
        self.tell(Happening::Registered { token: redact::mask(&token), peer, client, advertised: advertised_ip });
        let (mut sink, mut stream) = socket.split();
        let greeting = json!({ "name": "sys", "payload": "registered" }).to_string();
        let mut open = sink.send(Message::Text(greeting.into())).await.is_ok();
        // A silent socket is pinged, and closed once silent for `idle`.
        let idle = self.0.options.idle;
        let mut heard = Instant::now();
        let mut pinging = tokio::time::interval_at(Instant::now() + idle / 3, idle / 3);
        // Held until the socket registers (a `sys` or `login` frame), for at most `register_within`.
        let evicted = unregistered.evicted.clone();
        let mut unregistered = Some(unregistered);
        let register_by = tokio::time::sleep(self.0.options.register_within);
        tokio::pin!(register_by);
        while open {
            tokio::select! {
                frame = stream.next() => {
                    heard = Instant::now();
                    match frame {
                        Some(Ok(Message::Text(text))) => {
                            let name = self.frame(&registration, &token, &text);
                            if name.is_some_and(|name| super::budget::REGISTERING_FRAMES.contains(&name.as_str())) {
                                unregistered = None;
                            }
                        }
                        Some(Ok(Message::Ping(data))) => open = sink.send(Message::Pong(data)).await.is_ok(),
                        Some(Err(error @ tokio_tungstenite::tungstenite::Error::Capacity(_))) => {
                            self.tell(Happening::Refused { peer, why: format!("{error}: closing its socket") });
                            open = false;
                        }
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => open = false,
                        Some(Ok(_)) => {}
                    }
                },
                _ = pinging.tick() => {
                    if heard.elapsed() >= idle {
                        let why = format!("silent for {}: closing its socket", crate::clock::human(idle));
                        self.tell(Happening::Refused { peer, why });
                        open = false;
                    } else {
                        open = sink.send(Message::Ping(Bytes::new())).await.is_ok();
                    }
                },
                () = &mut register_by, if unregistered.is_some() => {
                    let within = crate::clock::human(self.0.options.register_within);
                    let why = format!("did not register within {within} (no `sys` or `login` frame): closing its socket");
                    self.tell(Happening::Refused { peer, why });
                    open = false;
                },
                () = evicted.cancelled(), if unregistered.is_some() => {
                    let why = format!(
                        "{} newer sockets are waiting to register and it never did (no `sys` or `login` frame): \
                         closing its socket",
                        super::budget::MAX_UNREGISTERED
                    );
                    self.tell(Happening::Refused { peer, why });
                    open = false;
                },
                queued = queue.recv() => match queued {
                    Some(message) => open = sink.send(message).await.is_ok(),
                    None => open = false,
                },
            }
        }
        // Asks still waiting on this socket fail now, not at their timeout.
        registration.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
        let mut tokens = self.0.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sockets) = tokens.get_mut(&token) {
            sockets.retain(|known| !Arc::ptr_eq(known, &registration));
            if sockets.is_empty() {
                tokens.remove(&token);
            }
        }
        drop(tokens);
        self.0.changed.send_modify(|count| *count += 1);
        self.tell(Happening::Deregistered { token: redact::mask(&token), peer });
    }

    /// A frame from a provider: JSON-RPC answers resolve a pending ask;
    /// the rest (`sys`, `scan`, `login`, `heartbeat`, …) is only noted. Its
    /// name, when it is a JSON frame that has one.
    fn frame(&self, registration: &Registration, token: &str, text: &str) -> Option<String> {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            self.tell(Happening::Frame { token: redact::mask(token), name: "(not JSON)".into() });
            return None;
        };
        let name = frame.get("name").and_then(Value::as_str).unwrap_or("(no name)").to_owned();
        if name == "jsonrpc"
            && let Some(payload) = frame.get("payload")
            && let Some(id) = payload.get("id").and_then(Value::as_u64)
            && let Some(waiting) =
                registration.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&id)
        {
            let _ = waiting.send(payload.clone());
            return Some(name);
        }
        // A frame's name is the provider's text: its own token masked in it.
        let shown = registration.redactor.redact(&name).into_owned();
        self.tell(Happening::Frame { token: redact::mask(token), name: shown });
        Some(name)
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// `cases`, or `PROPTEST_CASES` when it is set.
    fn config(cases: u32) -> ProptestConfig {
        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(cases);
        ProptestConfig { cases, ..ProptestConfig::default() }
    }

    /// A registry that serves nothing: its frames are fed by hand.
    fn registry() -> Registry {
        Registry(Arc::new(Inner {
            options: Options::default(),
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: Mutex::new(HashMap::new()),
            changed: watch::channel(0).0,
            happenings: broadcast::channel(256).0,
            next_id: AtomicU64::new(1),
            serving: Mutex::new(None),
            unregistered: Mutex::new(std::collections::VecDeque::new()),
        }))
    }

    fn registration() -> (Arc<Registration>, mpsc::UnboundedReceiver<Message>) {
        let (outgoing, queue) = mpsc::unbounded_channel();
        let registration = Arc::new(Registration {
            peer: SocketAddr::from(([127, 0, 0, 1], 9)),
            client: "fuzz".into(),
            advertised_ip: String::new(),
            outgoing,
            pending: Mutex::new(HashMap::new()),
            redactor: redact::Redactor::new(""),
        });
        (registration, queue)
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (0u64..70_000).prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            "[0-9]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            let key = prop_oneof![
                4 => proptest::sample::select(&["name", "payload", "jsonrpc", "id", "result", "error", "method"][..])
                    .prop_map(str::to_owned),
                1 => any::<String>(),
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((key, inner), 0..5)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    /// A frame a provider could send; `ID` stands for the pending ask's id.
    fn frame() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            4 => proptest::sample::select(&["jsonrpc", "sys", "scan", "login", "heartbeat", "logout"][..])
                .prop_map(str::to_owned),
            1 => any::<String>(),
        ];
        prop_oneof![
            4 => (name, proptest::option::of(value()), any::<bool>(), value()).prop_map(|(name, result, has_id, rest)| {
                let mut payload = serde_json::Map::new();
                if has_id {
                    payload.insert("id".into(), json!("ID"));
                }
                if let Some(result) = result {
                    payload.insert("result".into(), result);
                }
                payload.insert("rest".into(), rest);
                json!({ "name": name, "payload": payload }).to_string().replace("\"ID\"", "ID")
            }),
            1 => value().prop_map(|value| value.to_string()),
            1 => any::<String>(),
            1 => (1usize..100_000).prop_map(|depth| "[".repeat(depth)),
        ]
    }

    proptest! {
        #![proptest_config(config(3000))]

        /// Frames a provider sends, alone and as the answer to a pending
        /// `getHostieGrpcPort` ask: no panic, and an ask always ends.
        #[test]
        fn registry_frames(frames in proptest::collection::vec(frame(), 1..4)) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
            runtime.block_on(async {
                let registry = registry();
                let (registration, mut queue) = registration();
                registry.0.tokens.lock().unwrap().insert("fuzz-token".into(), vec![registration.clone()]);
                let asking = registry.clone();
                let ask = tokio::spawn(async move { asking.ask_grpc_port("fuzz-token").await });
                let Some(Message::Text(request)) = queue.recv().await else { panic!("no ask sent") };
                let request: Value = serde_json::from_str(&request).unwrap();
                let id = request["payload"]["id"].as_u64().unwrap();
                for frame in &frames {
                    registry.frame(&registration, "fuzz-token", &frame.replace("ID", &id.to_string()));
                }
                let started = Instant::now();
                let answer = ask.await.unwrap();
                prop_assert!(started.elapsed() <= JSONRPC_TIMEOUT);
                if let Ok(port) = answer {
                    prop_assert!(port != 0);
                }
                Ok(())
            })?;
        }
    }
}
