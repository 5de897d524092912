//! Loading scenarios: a file's bytes to a validated [`Scenario`], and the set a server knows
//! (the built-ins plus `--scenarios DIR`).
//!
//! Bad input never panics: a file that is not UTF-8, empty, not TOML/JSON, of the wrong shape
//! (an unknown field, a wrong type, an unknown fault or step) or invalid (a bad `hex`, an
//! unknown protocol) is an error that names the file, the field (`steps[2].hex`) and, for
//! syntax and shape errors, the line and column.

use std::collections::BTreeMap;
use std::path::Path;

use super::builtin::BUILTIN;
use super::compile::hex_bytes;
use super::schema::{Scenario, Step};
use crate::wire::Wire;

/// Whether a scenario file is TOML or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Toml,
    Json,
}

impl Format {
    /// By extension: `.toml` or `.json` (anything else is not a scenario file).
    pub(crate) fn of(path: &Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Some(Format::Toml),
            Some("json") => Some(Format::Json),
            _ => None,
        }
    }
}

/// Why a scenario file was refused: where (`line:col`, for syntax and shape errors) and what
/// (`FIELD: MESSAGE`).
struct Refusal {
    at: Option<String>,
    message: String,
}

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal { at: None, message }
    }
}

/// `line:col` (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{line}:{col}")
}

/// `FIELD: MESSAGE` (`FIELD` is the path serde was at, e.g. `steps[2]`; none at the top).
fn at_field(path: &serde_path_to_error::Path, message: &str) -> String {
    let path = path.to_string();
    if path == "." {
        message.to_owned()
    } else {
        format!("{path}: {message}")
    }
}

fn from_toml(text: &str) -> Result<Scenario, Refusal> {
    let at = |span: Option<std::ops::Range<usize>>| span.map(|s| line_col(text, s.start));
    let de = toml::Deserializer::parse(text).map_err(|e| Refusal {
        at: at(e.span()),
        message: e.message().trim_end().to_owned(),
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| Refusal {
        at: at(e.inner().span()),
        message: at_field(e.path(), e.inner().message().trim_end()),
    })
}

fn from_json(text: &str) -> Result<Scenario, Refusal> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        let message = inner.to_string();
        // serde_json ends its message with " at line L column C": that goes in `at`.
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |m| m.0);
        Refusal {
            at: Some(format!("{}:{}", inner.line(), inner.column())),
            message: at_field(e.path(), message),
        }
    })
}

impl Scenario {
    fn parse_refusal(text: &str, json: bool) -> Result<Scenario, Refusal> {
        if text.trim().is_empty() {
            return Err(String::from("the file is empty").into());
        }
        let sc = if json {
            from_json(text)?
        } else {
            from_toml(text)?
        };
        sc.validate()?;
        Ok(sc)
    }

    /// Parses a TOML or JSON scenario and validates it. The error names the field, and the
    /// line and column for syntax and shape errors (`3:1: steps[0]: unknown field ...`).
    pub(crate) fn parse(text: &str, json: bool) -> Result<Scenario, String> {
        Scenario::parse_refusal(text, json).map_err(|r| match r.at {
            Some(at) => format!("{at}: {}", r.message),
            None => r.message,
        })
    }

    /// Parses the scenario file `path` whose contents are `bytes` (the format by extension).
    /// The error starts with the file's path (`DIR/x.toml:3:1: steps[0]: ...`).
    pub(crate) fn parse_file(path: &Path, bytes: &[u8]) -> Result<Scenario, String> {
        let name = path.display();
        let format =
            Format::of(path).ok_or_else(|| format!("{name}: not a .toml or .json file"))?;
        let text = std::str::from_utf8(bytes).map_err(|e| {
            format!(
                "{name}: not UTF-8 (an invalid byte at offset {})",
                e.valid_up_to()
            )
        })?;
        Scenario::parse_refusal(text, format == Format::Json).map_err(|r| match r.at {
            Some(at) => format!("{name}:{at}: {}", r.message),
            None => format!("{name}: {}", r.message),
        })
    }

    fn validate(&self) -> Result<(), String> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "name: {:?} is not a scenario name (letters, digits, _ and -)",
                self.name
            ));
        }
        if self.wire().is_none() {
            return Err(format!(
                "protocol: unknown protocol {:?} ({})",
                self.protocol,
                Wire::NAMES.join(", ")
            ));
        }
        if let Some(p) = &self.client.protocol {
            if streamguard::Protocol::from_name(p).is_none() {
                return Err(format!("client.protocol: unknown protocol {p:?}"));
            }
        }
        if self.expect.outcome.is_none() {
            return Err("expect.outcome: missing (the outcome a correct client reports)".into());
        }
        for (i, step) in self.steps.iter().enumerate() {
            let field = |f: &str| format!("steps[{i}].{f}");
            match step {
                Step::Send { data, hex, .. } => {
                    if data.is_some() == hex.is_some() {
                        return Err(format!("steps[{i}]: send needs exactly one of data, hex"));
                    }
                    if let Some(h) = hex {
                        hex_bytes(h).map_err(|e| format!("{}: {e}", field("hex")))?;
                    }
                }
                Step::Fill { byte, .. } if byte.len() != 1 => {
                    return Err(format!("{}: must be one ASCII character", field("byte")));
                }
                Step::Fill { write_size: 0, .. } => {
                    return Err(format!("{}: must be > 0", field("write_size")));
                }
                Step::Keepalive { every_ms: 0, .. } => {
                    return Err(format!("{}: must be > 0", field("every_ms")));
                }
                Step::Tokens {
                    first_id: Some(_), ..
                } if matches!(
                    self.wire(),
                    Some(Wire::Ollama | Wire::GeminiArray | Wire::Text)
                ) =>
                {
                    return Err(format!("{}: needs an SSE protocol", field("first_id")));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The scenarios known to a server, by name (sorted).
#[derive(Debug, Clone, Default)]
pub(crate) struct ScenarioSet {
    pub by_name: BTreeMap<String, Scenario>,
}

impl ScenarioSet {
    /// The built-ins.
    pub(crate) fn builtin() -> Result<ScenarioSet, String> {
        let mut set = ScenarioSet::default();
        for (file, text) in BUILTIN {
            let sc = Scenario::parse_file(Path::new(&format!("{file}.toml")), text.as_bytes())?;
            if sc.name != *file {
                return Err(format!("{file}.toml names itself {}", sc.name));
            }
            set.by_name.insert(sc.name.clone(), sc);
        }
        Ok(set)
    }

    /// Adds every `*.toml` and `*.json` file of `dir` (a file may override a built-in). The
    /// first bad file is the error (with its path); nothing is added then.
    pub(crate) fn load_dir(&mut self, dir: &Path) -> Result<usize, String> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| Format::of(p).is_some())
            .collect();
        paths.sort();
        let mut loaded = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            loaded.push(Scenario::parse_file(&path, &bytes)?);
        }
        let n = loaded.len();
        for sc in loaded {
            self.by_name.insert(sc.name.clone(), sc);
        }
        Ok(n)
    }

    /// The built-ins, plus the files of `dir` when given; also returns how many files it added.
    pub(crate) fn load(dir: Option<&Path>) -> Result<(ScenarioSet, usize), String> {
        let mut set = ScenarioSet::builtin().map_err(|e| format!("built-in scenarios: {e}"))?;
        let files = match dir {
            Some(dir) => set.load_dir(dir)?,
            None => 0,
        };
        Ok((set, files))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Scenario> {
        self.by_name.get(name)
    }
}
