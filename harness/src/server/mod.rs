//! The mock LLM server: one listener for everything (API-like routes, `/scenarios/{name}`,
//! `/_harness/*`, CORS preflights, static files), connections served by hand so that any byte
//! sequence, a reset, or a lying length can be produced.
//!
//! Routes:
//! - `POST|GET /v1/chat/completions` (default `openai_ok`), `/v1/responses` (`responses_ok`),
//!   `/v1/messages` (`anthropic_ok`), `/api/chat` (`ollama_ok`),
//!   `/v1beta/models/{model}:streamGenerateContent` (`gemini_ok` with `?alt=sse`, else
//!   `gemini_array`): the scenario named by `?scenario=NAME` or the `x-streamguard-scenario`
//!   header, else the route's default.
//! - `POST|GET /scenarios/{name}`: that scenario.
//! - Query parameters on both: `fault=SHORT` (repeatable, e.g. `rechunk:7`), `faults=JSON array`,
//!   `seed=N`, `request_id=ID` (also the `x-streamguard-request-id` header).
//! - `GET /_harness/scenarios`, `GET /_harness/faults`, `GET /_harness/health`,
//!   `GET /_harness/requests/{id}`, `GET /_harness/requests/{id}/wait-closed?timeout_ms=N`.
//! - `OPTIONS *`: CORS preflight. Other `GET`s: static files (`/` = the first dir's index.html).

mod control;
pub(crate) mod exec;
pub(crate) mod http;
pub(crate) mod registry;
pub(crate) mod statics;
#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::SeedableRng;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::faults::FaultConfig;
use crate::plan;
use crate::scenario::{Framing, Scenario, ScenarioSet};
use http::Request;
use registry::Registry;
use statics::StaticMount;

/// How long a client may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Server settings.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    pub host: String,
    pub port: u16,
    pub scenarios: ScenarioSet,
    /// The default seed of every request (`?seed=` and a scenario's `seed` override it).
    pub seed: u64,
    pub statics: Vec<StaticMount>,
    /// Log one line per request on stderr.
    pub log: bool,
}

impl ServerConfig {
    /// Built-in scenarios on 127.0.0.1 with a free port.
    pub(crate) fn local(seed: u64) -> Result<ServerConfig, String> {
        Ok(ServerConfig {
            host: "127.0.0.1".to_owned(),
            port: 0,
            scenarios: ScenarioSet::builtin()?,
            seed,
            statics: Vec::new(),
            log: false,
        })
    }
}

/// Shared server state.
#[derive(Debug)]
pub(crate) struct State {
    pub config: ServerConfig,
    pub registry: Registry,
}

/// A running server.
#[derive(Debug)]
pub(crate) struct Server {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds and starts accepting.
    pub(crate) async fn start(config: ServerConfig) -> io::Result<Server> {
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            config,
            registry: Registry::new(),
        });
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, state.clone(), rx));
        Ok(Server {
            addr,
            state,
            shutdown,
            task,
        })
    }

    /// `http://host:port`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request registry (the in-process API of `/_harness/requests`).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn registry(&self) -> &Registry {
        &self.state.registry
    }

    /// Stops accepting and interrupts every connection's waits and stalls.
    pub(crate) async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    let for_conns = shutdown.clone();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    conns.spawn(handle_conn(stream, state.clone(), for_conns.clone()));
                }
                Err(e) => {
                    if state.config.log {
                        eprintln!("accept: {e}");
                    }
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = shutdown.wait_for(|v| *v) => break,
        }
    }
    // Connections see the shutdown signal themselves; wait for them to finish.
    while conns.join_next().await.is_some() {}
}

async fn handle_conn(mut stream: TcpStream, state: Arc<State>, shutdown: watch::Receiver<bool>) {
    let mut stop = shutdown.clone();
    let req = tokio::select! {
        r = tokio::time::timeout(REQUEST_TIMEOUT, http::read_request(&mut stream)) => r,
        _ = stop.wait_for(|v| *v) => return,
    };
    let req = match req {
        Ok(Ok(Some(r))) => r,
        Ok(Ok(None)) | Err(_) => return,
        Ok(Err(e)) => {
            let body = json!({"error": {"message": e.to_string(), "type": "bad_request"}});
            let _ = write_close(&mut stream, &http::json(400, &body)).await;
            return;
        }
    };
    route(stream, req, &state, shutdown).await;
}

async fn write_close(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes).await?;
    stream.shutdown().await
}

/// The route's default scenario. `alt`: the `alt` query parameter (Gemini's `alt=sse`).
pub(crate) fn default_scenario(path: &str, alt: Option<&str>) -> Option<&'static str> {
    if (path.starts_with("/v1beta/models/") || path.starts_with("/v1/models/"))
        && path.ends_with(":streamGenerateContent")
    {
        return Some(if alt == Some("sse") {
            "gemini_ok"
        } else {
            "gemini_array"
        });
    }
    Some(match path {
        "/v1/chat/completions" | "/chat/completions" => "openai_ok",
        "/v1/responses" | "/responses" => "responses_ok",
        "/v1/messages" | "/messages" => "anthropic_ok",
        "/api/chat" => "ollama_ok",
        _ => return None,
    })
}

fn not_found(what: &str) -> Vec<u8> {
    http::json(
        404,
        &json!({"error": {"message": format!("not found: {what}"), "type": "not_found"}}),
    )
}

async fn route(
    mut stream: TcpStream,
    req: Request,
    state: &State,
    shutdown: watch::Receiver<bool>,
) {
    if req.method == "OPTIONS" {
        let _ = write_close(&mut stream, &http::preflight(&req)).await;
        return;
    }
    let path = req.path.clone();
    if let Some(rest) = path.strip_prefix("/_harness/") {
        // `wait-closed` long-polls: shutdown interrupts it.
        let mut stop = shutdown.clone();
        let bytes = tokio::select! {
            b = control::answer(rest, &req, state) => b,
            _ = stop.wait_for(|v| *v) => return,
        };
        let _ = write_close(&mut stream, &bytes).await;
        return;
    }
    let name = if let Some(n) = path.strip_prefix("/scenarios/") {
        Some(n.trim_end_matches('/').to_owned())
    } else {
        default_scenario(&path, req.param("alt")).map(|d| {
            req.param("scenario")
                .or_else(|| req.header("x-streamguard-scenario"))
                .unwrap_or(d)
                .to_owned()
        })
    };
    if let Some(name) = name {
        let Some(sc) = state.config.scenarios.get(&name) else {
            let _ = write_close(&mut stream, &not_found(&format!("scenario {name}"))).await;
            return;
        };
        serve_scenario(stream, &req, sc, state, shutdown).await;
        return;
    }
    if req.method == "GET" || req.method == "HEAD" {
        let file = if path == "/" {
            state
                .config
                .statics
                .first()
                .map(|m| m.dir.join("index.html"))
                .filter(|p| p.is_file())
                .or_else(|| statics::find(&state.config.statics, &path))
        } else {
            statics::find(&state.config.statics, &path)
        };
        if let Some(file) = file {
            let bytes = match tokio::fs::read(&file).await {
                Ok(body) => http::response(200, statics::mime(&file), &body, &[]),
                Err(e) => not_found(&format!("{path}: {e}")),
            };
            let _ = write_close(&mut stream, &bytes).await;
            return;
        }
    }
    let _ = write_close(&mut stream, &not_found(&path)).await;
}

/// The faults a request asks for: `fault=SHORT` (repeatable) then `faults=[JSON...]`.
pub(crate) fn request_faults(req: &Request) -> Result<Vec<FaultConfig>, String> {
    let mut out = Vec::new();
    for f in req.params("fault") {
        out.push(FaultConfig::parse_short(f)?);
    }
    for f in req.params("faults") {
        let list: Vec<FaultConfig> = serde_json::from_str(f).map_err(|e| format!("faults: {e}"))?;
        out.extend(list);
    }
    Ok(out)
}

async fn serve_scenario(
    mut stream: TcpStream,
    req: &Request,
    sc: &Scenario,
    state: &State,
    shutdown: watch::Receiver<bool>,
) {
    let id = req
        .param("request_id")
        .or_else(|| req.header("x-streamguard-request-id"));
    let rec = state.registry.begin(id, &req.method, &req.path);
    *rec.scenario.lock().unwrap_or_else(|e| e.into_inner()) = Some(sc.name.clone());
    let last_event_id = req.header("last-event-id");
    *rec.last_event_id.lock().unwrap_or_else(|e| e.into_inner()) = last_event_id.map(str::to_owned);
    let faults = match request_faults(req) {
        Ok(f) => f,
        Err(e) => {
            let body = json!({"error": {"message": e, "type": "bad_fault"}});
            let _ = write_close(&mut stream, &http::json(400, &body)).await;
            return;
        }
    };
    let seed = match req.param("seed").map(str::parse::<u64>) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            let body = json!({"error": {"message": format!("seed: {e}"), "type": "bad_seed"}});
            let _ = write_close(&mut stream, &http::json(400, &body)).await;
            return;
        }
        None => sc.seed.unwrap_or(state.config.seed),
    };
    *rec.seed.lock().unwrap_or_else(|e| e.into_inner()) = Some(seed);
    *rec.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults
        .iter()
        .map(|f| serde_json::to_string(f).unwrap_or_default())
        .collect();
    let mut rng = SmallRng::seed_from_u64(seed);
    let plan = sc.plan_for(&faults, &mut rng, last_event_id);
    if state.config.log {
        let names: Vec<&str> = faults.iter().map(FaultConfig::name).collect();
        eprintln!(
            "{} {} {} ({} body bytes) scenario={} seed={} faults={:?}",
            rec.id,
            req.method,
            req.path,
            req.body.len(),
            sc.name,
            seed,
            names
        );
    }
    let head = response_head(sc, &plan, &rec.id, seed);
    exec::execute(&mut stream, &head, &plan, sc.framing, &rec, shutdown).await;
}

/// The scenario's response head: its status and headers, the protocol's Content-Type, the
/// framing header, the harness's headers and CORS.
pub(crate) fn response_head(sc: &Scenario, plan: &plan::Plan, id: &str, seed: u64) -> Vec<u8> {
    let mut headers: Vec<(String, String)> = vec![("Content-Type".to_owned(), sc.content_type())];
    // The provider's own headers (the AI SDK's `x-vercel-ai-ui-message-stream`), unless the
    // scenario sets them.
    for (k, v) in sc.wire().map(crate::wire::Wire::headers).unwrap_or(&[]) {
        if !sc.headers.keys().any(|h| h.eq_ignore_ascii_case(k)) {
            headers.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    for (k, v) in &sc.headers {
        if !k.eq_ignore_ascii_case("content-type") {
            headers.push((k.clone(), v.clone()));
        }
    }
    if !sc
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("cache-control"))
    {
        headers.push(("Cache-Control".to_owned(), "no-cache".to_owned()));
    }
    match sc.framing {
        Framing::Close => {}
        Framing::Chunked => headers.push(("Transfer-Encoding".to_owned(), "chunked".to_owned())),
        Framing::ContentLength => {
            let len = sc.content_length.unwrap_or_else(|| plan::body_len(plan));
            headers.push(("Content-Length".to_owned(), len.to_string()));
        }
    }
    headers.push(("x-streamguard-request-id".to_owned(), id.to_owned()));
    headers.push(("x-streamguard-scenario".to_owned(), sc.name.clone()));
    headers.push(("x-streamguard-seed".to_owned(), seed.to_string()));
    http::head(sc.status, &headers)
}
