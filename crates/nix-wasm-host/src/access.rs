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
    /// The file `path` (absolute, `.` and `..` resolved) names, as the
    /// evaluator's `realisePath` finds it: symlinks resolved in full, and
    /// both the path as written and the file it leads to readable under
    /// this rule (a link in an allowed directory does not lead out of it,
    /// and a link outside does not lead in). A path that does not exist
    /// is returned as it is, for the read to fail.
    pub(crate) fn realise(&self, path: &Path) -> Result<PathBuf, String> {
        self.check(path)?;
        let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
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
}
