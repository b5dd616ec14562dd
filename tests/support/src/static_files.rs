//! Serving the demo page (`www/`) from the receiver's own port, so page, package and OTLP
//! endpoint share one loopback origin.

use std::path::{Component, Path, PathBuf};

/// The file under `root` that a request for `uri_path` names, refusing `..` and absolute
/// components; `/` means `index.html`.
fn resolve(root: &Path, uri_path: &str) -> Option<PathBuf> {
    let relative = uri_path.trim_start_matches('/');
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let relative = Path::new(relative);
    if relative
        .components()
        .any(|component| !matches!(component, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

/// The `Content-Type` for a file, by extension (`.wasm` must be `application/wasm` for
/// streaming instantiation).
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|extension| extension.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Reads the file a request names: its content type and bytes, or `None` if there is none.
pub(crate) fn read(root: &Path, uri_path: &str) -> Option<(&'static str, Vec<u8>)> {
    let path = resolve(root, uri_path)?;
    let bytes = std::fs::read(&path).ok()?;
    Some((content_type(&path), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_the_root() {
        let root = Path::new("/srv/www");
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/pkg/a.js"), Some(root.join("pkg/a.js")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/pkg/../../secret"), None);
    }

    #[test]
    fn wasm_is_served_as_application_wasm() {
        assert_eq!(content_type(Path::new("x_bg.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
    }
}
