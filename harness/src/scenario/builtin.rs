//! The built-in scenarios: the files of `harness/scenarios/`, embedded at build time so the
//! binary works from any directory (a self-test checks the list against the directory).

/// `(name, file text)` for each name: `scenarios/NAME.toml`, embedded.
macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../scenarios/", $name, ".toml")))),*]
    };
}

/// The built-in scenario files, by name: FAULTS.md's rows in its order, then the defaults of
/// the API-like routes and the framing faults, then the end-signal and provider scenarios.
pub(crate) const BUILTIN: &[(&str, &str)] = embedded![
    "openai_ok",
    "refused",
    "no_response",
    "headers_then_silence",
    "stall_mid",
    "pings_forever",
    "slow_healthy",
    "byte_drip",
    "thinking_pings",
    "no_done",
    "finish_no_done",
    "reset_mid",
    "any_chunking",
    "split_utf8",
    "line_endings",
    "bom",
    "comments",
    "meta_only",
    "anthropic_error_mid",
    "anthropic_error_first",
    "openai_error_mid",
    "ollama_ok",
    "ollama_error",
    "ollama_no_done",
    "status_429",
    "json_not_sse",
    "html_not_sse",
    "buffered_burst",
    "huge_event",
    "unbounded_line",
    "invalid_json",
    "user_abort",
    "hidden_tab",
    // Beyond FAULTS.md: defaults of the API-like routes and the framing faults.
    "anthropic_ok",
    "responses_ok",
    "chunked_cut",
    "sse_resume",
    "content_length_lie",
    // The end signal is enough: a stall after it is complete.
    "openai_stall_after_finish",
    "anthropic_stall_after_stop",
    // Gemini (SSE and the JSON array form), the AI SDK UI message stream, plain text.
    "gemini_ok",
    "gemini_array",
    "gemini_no_finish",
    "gemini_error_mid",
    "gemini_stall_mid",
    "gemini_stall_after_finish",
    "ai_sdk_ok",
    "ai_sdk_no_finish",
    "ai_sdk_error_mid",
    "ai_sdk_stall_mid",
    "ai_sdk_stall_after_finish",
    "text_ok",
    "text_reset_mid",
    "text_stall_mid",
];

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    use super::BUILTIN;
    use crate::scenario::ScenarioSet;

    #[test]
    fn every_builtin_parses_and_has_expectations() {
        let set = ScenarioSet::builtin().unwrap();
        assert_eq!(set.by_name.len(), BUILTIN.len());
        for sc in set.by_name.values() {
            assert!(!sc.description.is_empty(), "{}", sc.name);
            assert!(sc.expect.outcome.is_some(), "{}", sc.name);
            let mut rng = SmallRng::seed_from_u64(1);
            let plan = sc.plan(&[], &mut rng);
            assert!(plan.last().unwrap().is_terminal(), "{}", sc.name);
            if sc
                .expect
                .outcome
                .as_ref()
                .unwrap()
                .list()
                .contains(&"stalled")
            {
                assert!(sc.expect.phase.is_some(), "{} needs a phase", sc.name);
                assert!(sc.expect.fire_ms.is_some(), "{} needs fire_ms", sc.name);
            }
        }
    }

    /// The team's fault table: `$STREAMGUARD_FAULTS_MD`, else `shared/FAULTS.md` next to the
    /// repository or one of its parent directories (a worktree sits deeper than the checkout).
    fn faults_md() -> Result<(PathBuf, String), String> {
        let candidates: Vec<PathBuf> = match std::env::var_os("STREAMGUARD_FAULTS_MD") {
            Some(p) => vec![PathBuf::from(p)],
            None => Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .skip(2)
                .map(|dir| dir.join("shared/FAULTS.md"))
                .collect(),
        };
        for path in &candidates {
            if let Ok(text) = std::fs::read_to_string(path) {
                return Ok((path.clone(), text));
            }
        }
        Err(format!(
            "FAULTS.md not found (tried {}); set STREAMGUARD_FAULTS_MD to its path",
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    #[test]
    fn faults_md_rows_are_the_first_builtins_in_order() {
        let (path, text) = faults_md().unwrap_or_else(|e| panic!("{e}"));
        let mut names = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("| ") {
                let first = rest.split(" | ").next().unwrap_or("");
                if first == "name" || first.starts_with("---") {
                    continue;
                }
                names.extend(first.split(" / ").map(str::trim));
            }
        }
        assert!(
            names.len() > 20,
            "{}: only {} scenario rows found; has the table's format changed?",
            path.display(),
            names.len()
        );
        let builtin: Vec<&str> = BUILTIN.iter().take(names.len()).map(|b| b.0).collect();
        assert_eq!(
            names,
            builtin,
            "{}: its rows (left) must be the first built-in scenarios, in order (right)",
            path.display()
        );
    }

    #[test]
    fn readme_documents_every_scenario_and_fault() {
        let readme =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
                .unwrap();
        for (name, _) in BUILTIN {
            assert!(
                readme.contains(&format!("\n### {name}\n")),
                "README lacks ### {name}"
            );
        }
        for (name, _) in crate::faults::REGISTRY {
            assert!(
                readme.contains(&format!("\n#### {name}\n")),
                "README lacks #### {name}"
            );
        }
    }

    #[test]
    fn builtin_list_matches_the_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = BUILTIN.iter().map(|b| b.0.to_owned()).collect();
        listed.sort();
        assert_eq!(files, listed);
    }
}
