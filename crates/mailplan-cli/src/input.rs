//! Reading a declaration file (JSON or TOML) into the engine.

use std::io::Read;
use std::path::Path;

use mailplan::{Declaration, Error};

/// Why a declaration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid declaration.
    #[error("{path}: invalid declaration\n{error}")]
    Invalid {
        /// The path as given.
        path: String,
        /// Every problem, each naming its field.
        error: Error,
    },
}

/// Reads and parses the declaration at `path` (`-` for stdin). Files
/// ending in `.toml` are TOML, everything else JSON.
pub fn read_declaration(path: &Path) -> Result<Declaration, InputError> {
    let shown = path.display().to_string();
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|source| InputError::Io {
        path: shown.clone(),
        source,
    })?;
    let parsed = if path.extension().is_some_and(|e| e == "toml") {
        mailplan::from_toml(&text)
    } else {
        mailplan::from_json(&text)
    };
    parsed.map_err(|error| InputError::Invalid { path: shown, error })
}
