//! Static files (`serve --static DIR` or `--static DIR:/prefix`), path-traversal safe.

use std::path::{Component, Path, PathBuf};

/// One mounted directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StaticMount {
    /// URL prefix, `/` or `/pkg` (no trailing slash except for the root).
    pub prefix: String,
    pub dir: PathBuf,
}

impl StaticMount {
    /// Parses `DIR` (mounted at `/`) or `DIR:/prefix`.
    pub(crate) fn parse(s: &str) -> StaticMount {
        let (dir, prefix) = match s.rsplit_once(":/") {
            Some((d, p)) if !d.is_empty() => (d, format!("/{}", p.trim_end_matches('/'))),
            _ => (s, "/".to_owned()),
        };
        let prefix = if prefix.is_empty() {
            "/".to_owned()
        } else {
            prefix
        };
        StaticMount {
            prefix,
            dir: PathBuf::from(dir),
        }
    }

    /// The file for a decoded URL path, if it is under this mount and exists.
    pub(crate) fn resolve(&self, path: &str) -> Option<PathBuf> {
        let rest = if self.prefix == "/" {
            path.strip_prefix('/')?
        } else {
            let r = path.strip_prefix(&self.prefix)?;
            if !(r.is_empty() || r.starts_with('/')) {
                return None;
            }
            r.trim_start_matches('/')
        };
        let rel = Path::new(rest);
        // Only plain names: no `..`, no root, no prefix (C:), no `.`.
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return None;
        }
        if rest.contains('\\') || rest.contains('\0') {
            return None;
        }
        let mut full = self.dir.join(rel);
        if full.is_dir() {
            full = full.join("index.html");
        }
        full.is_file().then_some(full)
    }
}

/// The MIME type by extension.
pub(crate) fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        // Recorded or generated streams served as files (the browser benchmark's fixtures).
        "sse" => "text/event-stream",
        "ndjson" => "application/x-ndjson",
        _ => "application/octet-stream",
    }
}

/// The first mount that has the file.
pub(crate) fn find(mounts: &[StaticMount], path: &str) -> Option<PathBuf> {
    // Longest prefix first, so `/pkg` wins over `/`.
    let mut sorted: Vec<&StaticMount> = mounts.iter().collect();
    sorted.sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
    sorted.into_iter().find_map(|m| m.resolve(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_resolve_safely() {
        let dir = std::env::temp_dir().join(format!("sg-static-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("index.html"), "<h1>hi</h1>").unwrap();
        std::fs::write(dir.join("pkg/a.wasm"), b"\0asm").unwrap();
        let root = StaticMount::parse(dir.to_str().unwrap());
        assert_eq!(root.prefix, "/");
        let pkg = StaticMount::parse(&format!("{}:/pkg", dir.join("pkg").display()));
        assert_eq!(pkg.prefix, "/pkg");
        let mounts = [root, pkg];
        assert_eq!(find(&mounts, "/").unwrap(), dir.join("index.html"));
        assert_eq!(
            find(&mounts, "/pkg/a.wasm").unwrap(),
            dir.join("pkg/a.wasm")
        );
        assert!(find(&mounts, "/../etc/passwd").is_none());
        assert!(find(&mounts, "/pkg/../../etc/passwd").is_none());
        assert!(find(&mounts, "/pkgx/a.wasm").is_none());
        assert!(find(&mounts, "/missing.js").is_none());
        assert_eq!(mime(Path::new("x.wasm")), "application/wasm");
        assert_eq!(mime(Path::new("x.mjs")), "text/javascript; charset=utf-8");
        assert_eq!(mime(Path::new("x.sse")), "text/event-stream");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
