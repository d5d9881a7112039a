//! A call's warnings: the plugin's `warn` calls and, for WASI modules, the
//! lines it writes to standard output and error, kept in order and handed
//! to a listener as they happen (the evaluator prints them at once).

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi_io::poll::Pollable;
use wasmtime_wasi_io::streams::{OutputStream, StreamResult};

use crate::value::NixString;

/// A warning a plugin made. It displays as the evaluator words it after
/// `warning: `: `'<module>' function '<function>': <message>`, or
/// `'<module>': <message>` for a WASI module; [`Warning::to_bytes`] keeps
/// the message's bytes as they are, as the evaluator prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The module's name: its file name, or [`crate::INLINE_WAT`].
    pub module: String,
    /// The export that was running: the entry point, or
    /// `nix_wasm_init_v1` for warnings made while initialising. `None` for
    /// a WASI module, which the evaluator names without a function.
    pub function: Option<String>,
    /// The message, as the plugin wrote it: any bytes (it displays with
    /// invalid UTF-8 replaced).
    pub message: NixString,
}

impl Warning {
    /// The warning as the evaluator prints it after `warning: `, the
    /// message's bytes as the plugin wrote them (Nix's `warn` formats
    /// them into a `std::string` untouched).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = match &self.function {
            Some(function) => format!("'{}' function '{function}': ", self.module),
            None => format!("'{}': ", self.module),
        }
        .into_bytes();
        out.extend_from_slice(self.message.as_bytes());
        out
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.function {
            Some(function) => write!(
                f,
                "'{}' function '{function}': {}",
                self.module, self.message
            ),
            None => write!(f, "'{}': {}", self.module, self.message),
        }
    }
}

/// Called with each warning as the plugin makes it.
pub type WarningListener = Box<dyn FnMut(&Warning) + Send>;

/// The warnings of one call.
pub(crate) struct WarningLog {
    warnings: Vec<Warning>,
    listener: Option<WarningListener>,
    /// The module's name.
    module: String,
    /// The export running now.
    function: Option<String>,
    /// WASI output after its last newline.
    partial_line: Vec<u8>,
}

/// The log of a call, shared by the host functions and the WASI streams.
#[derive(Clone)]
pub(crate) struct SharedLog(Arc<Mutex<WarningLog>>);

impl SharedLog {
    pub(crate) fn new(module: &str, listener: Option<WarningListener>) -> Self {
        Self(Arc::new(Mutex::new(WarningLog {
            warnings: Vec::new(),
            listener,
            module: module.to_string(),
            function: None,
            partial_line: Vec::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, WarningLog> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Names the export that runs from now on.
    pub(crate) fn set_function(&self, function: Option<&str>) {
        self.lock().function = function.map(str::to_string);
    }

    /// A warning of the running export.
    pub(crate) fn warn(&self, message: &[u8]) {
        self.lock().emit(message);
    }

    /// WASI output: every complete line is a warning.
    fn write_output(&self, bytes: &[u8]) {
        let mut log = self.lock();
        log.partial_line.extend_from_slice(bytes);
        while let Some(end) = log.partial_line.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = log.partial_line.drain(..=end).collect();
            log.emit(&line[..line.len() - 1]);
        }
    }

    /// Ends the call: output after the last newline is a warning too.
    pub(crate) fn finish(&self) -> Vec<Warning> {
        let mut log = self.lock();
        if !log.partial_line.is_empty() {
            let rest = std::mem::take(&mut log.partial_line);
            log.emit(&rest);
        }
        std::mem::take(&mut log.warnings)
    }
}

impl WarningLog {
    fn emit(&mut self, message: &[u8]) {
        let warning = Warning {
            module: self.module.clone(),
            function: self.function.clone(),
            message: NixString::from(message),
        };
        if let Some(listener) = &mut self.listener {
            listener(&warning);
        }
        self.warnings.push(warning);
    }
}

/// How much a WASI module may write at once (the stream is always ready).
const WRITE_PERMIT: usize = 1 << 20;

impl IsTerminal for SharedLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for SharedLog {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for SharedLog {
    async fn ready(&mut self) {}
}

impl OutputStream for SharedLog {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.write_output(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

impl tokio::io::AsyncWrite for SharedLog {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.write_output(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_becomes_one_warning_per_line_and_the_rest_at_the_end() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let listener = {
            let seen = Arc::clone(&seen);
            Box::new(move |w: &Warning| seen.lock().unwrap().push(w.message.to_string()))
        };
        let log = SharedLog::new("m.wasm", Some(listener));
        log.write_output(b"one\ntw");
        assert_eq!(*seen.lock().unwrap(), ["one"], "told as it happens");
        log.write_output(b"o\n\nthree");
        log.warn(b"from warn");
        let messages: Vec<String> = log
            .finish()
            .into_iter()
            .map(|w| w.message.to_string())
            .collect();
        assert_eq!(messages, ["one", "two", "", "from warn", "three"]);
        assert!(log.finish().is_empty());
    }
}
