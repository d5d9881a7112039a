//! Which files a plugin may be loaded from and may read: everything, as in
//! impure evaluation, or an allow-list, as in pure evaluation mode.

use std::path::{Path, PathBuf};

/// Which absolute paths `builtins.wasm`'s `path` and `read_file` may read.
///
/// In pure evaluation mode (the default for flakes) the evaluator reaches
/// only the flake's own source (through its own accessor) and the store
/// paths it is allowed (inputs, what it realised); anything else is
/// "forbidden in pure evaluation mode". A plugin reading `/etc/hosts`
/// works with `--impure` and fails under `nix flake check`;
/// [`FileAccess::Pure`] reproduces that, with the allowed paths standing
/// for the flake's source and those store paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FileAccess {
    /// Any file, as in `--impure` evaluation or Nix without flakes.
    #[default]
    Impure,
    /// Only files under these paths (directories or files): the flake's
    /// source and the store paths pure evaluation may read.
    Pure(Vec<PathBuf>),
}

impl FileAccess {
    /// The file `path` (absolute) names, as the evaluator's `realisePath`
    /// finds it: symlinks resolved in full ([`resolve_symlinks`]), and
    /// both the path as written and the file it leads to readable under
    /// this rule (a link in an allowed directory does not lead out of it,
    /// and a link outside does not lead in).
    pub(crate) fn realise(&self, path: &Path) -> Result<PathBuf, String> {
        self.check(path)?;
        let resolved = resolve_symlinks(path)?;
        self.check(&resolved)?;
        Ok(resolved)
    }

    /// `Ok` when `path` may be read, or the evaluator's refusal.
    fn check(&self, path: &Path) -> Result<(), String> {
        match self {
            FileAccess::Impure => Ok(()),
            FileAccess::Pure(allowed) if allowed.iter().any(|root| path.starts_with(root)) => {
                Ok(())
            }
            FileAccess::Pure(_) => Err(format!(
                "access to absolute path '{}' is forbidden in pure evaluation mode (use '--impure' to override)",
                path.display()
            )),
        }
    }
}

/// `path` (absolute) with every symlink along it followed, as Nix's
/// `SourceAccessor::resolveSymlinks` (`SymlinkResolution::Full`) does it:
/// component by component, `.` and `..` taken lexically, a component that
/// does not exist kept as it is (so a missing file keeps the name it was
/// given, under its resolved directory), at most 1024 links.
pub(crate) fn resolve_symlinks(path: &Path) -> Result<PathBuf, String> {
    use std::path::Component;
    let mut todo: std::collections::VecDeque<std::ffi::OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut resolved = PathBuf::from("/");
    let mut links_allowed = 1024u32;
    while let Some(component) = todo.pop_front() {
        if component == ".." {
            resolved.pop();
            continue;
        }
        resolved.push(&component);
        let is_link = std::fs::symlink_metadata(&resolved)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if !is_link {
            continue;
        }
        if links_allowed == 0 {
            return Err(format!(
                "infinite symlink recursion in path '{}'",
                path.display()
            ));
        }
        links_allowed -= 1;
        let target = std::fs::read_link(&resolved).map_err(|e| {
            format!(
                "reading symbolic link '{}': {}",
                resolved.display(),
                strerror(&e)
            )
        })?;
        if target.is_absolute() {
            resolved = PathBuf::from("/");
        } else {
            resolved.pop();
        }
        for part in target.components().rev() {
            match part {
                Component::Normal(name) => todo.push_front(name.to_os_string()),
                Component::ParentDir => todo.push_front("..".into()),
                _ => {}
            }
        }
    }
    Ok(resolved)
}

/// The whole file at `path` (already realised), or why not, in the words
/// of Nix's source accessor (`posix-source-accessor.cc`): "path '…' does
/// not exist", "file '…' is not a regular file", "opening '…': <the
/// system's reason>".
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("path '{shown}' does not exist"));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(format!("file '{shown}' is not a regular file"));
        }
        _ => {}
    }
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("path '{shown}' does not exist"),
        _ => format!("opening '{shown}': {}", strerror(&e)),
    })
}

/// The system's reason alone, as C's `strerror` gives it (Rust adds "(os
/// error N)").
fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(end) if text.ends_with(')') => text[..end].to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_mode_allows_only_what_is_under_an_allowed_path() {
        let pure = FileAccess::Pure(vec!["/src/flake".into(), "/nix/store/abc-x".into()]);
        assert!(pure.check(Path::new("/src/flake/plugin.wasm")).is_ok());
        assert!(pure.check(Path::new("/src/flake")).is_ok());
        assert!(pure.check(Path::new("/nix/store/abc-x")).is_ok());
        assert_eq!(
            pure.check(Path::new("/src/flakes/x")),
            Err("access to absolute path '/src/flakes/x' is forbidden in pure evaluation mode (use '--impure' to override)".into()),
            "components, not string prefixes"
        );
        assert!(pure.check(Path::new("/etc/hosts")).is_err());
        assert!(FileAccess::Impure.check(Path::new("/etc/hosts")).is_ok());
    }

    #[test]
    fn symlinks_resolve_as_in_nix_missing_components_kept() {
        let dir = std::env::temp_dir().join(format!("nix-wasm-host-access-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("real")).unwrap();
        std::os::unix::fs::symlink("real", dir.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.join("loop"), dir.join("loop")).unwrap();
        let dir = resolve_symlinks(&dir).unwrap();
        assert_eq!(
            resolve_symlinks(&dir.join("link/missing.wasm")).unwrap(),
            dir.join("real/missing.wasm")
        );
        assert_eq!(
            resolve_symlinks(&dir.join("link/../link/x")).unwrap(),
            dir.join("real/x")
        );
        assert_eq!(
            resolve_symlinks(&dir.join("loop")).unwrap_err(),
            format!(
                "infinite symlink recursion in path '{}'",
                dir.join("loop").display()
            )
        );
        assert_eq!(
            read(&dir.join("real/missing.wasm")).unwrap_err(),
            format!(
                "path '{}' does not exist",
                dir.join("real/missing.wasm").display()
            )
        );
        assert_eq!(
            read(&dir.join("real")).unwrap_err(),
            format!(
                "file '{}' is not a regular file",
                dir.join("real").display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
