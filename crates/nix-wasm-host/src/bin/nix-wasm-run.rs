//! `nix-wasm-run`: call an entry point of any `builtins.wasm` plugin.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use nix_wasm_host::nix_log::{filter_escapes, show_error};
use nix_wasm_host::{FileAccess, Host, Limits, NixValue, Warning, nix_expr};

/// Calls FUNCTION of the builtins.wasm plugin MODULE and prints the result.
///
/// This does what `builtins.wasm { path = MODULE; function = FUNCTION; }
/// ARGUMENT` does in a Nix with the `wasm-builtin` feature, on the
/// nix-wasm-host reference host (scrambled attribute order; the
/// evaluator's limits unless `--limits strict`). With `--wat`, MODULE is
/// WebAssembly text passed as `builtins.wasm { wat = <its text>; … }`. A
/// WASI program (a module importing `wasi_snapshot_preview1`) is run
/// without FUNCTION, as `builtins.wasm { path = MODULE; } ARGUMENT`. The
/// argument is JSON, converted as `builtins.fromJSON` would; without one
/// it is null.
///
/// Warnings go to stderr as Nix prints them to anything but a terminal,
/// as they happen: `warning: '<module file>' function '<function>':
/// <message>`, or `warning: '<module file>': <message>` for a WASI program
/// (its `warn` calls and each line of its standard output and error); an
/// inline module is named `<inline wat>`. The message's bytes are written
/// as they are, escape sequences, carriage returns and bells dropped and
/// tabs expanded, as Nix's log filter does.
///
/// Errors: with `--output json` (the default) a failed call prints the
/// evaluator's error on stderr as Nix prints it (`error:`, the trace `…
/// while executing a Wasm module`, then `error: <message>`; no source
/// positions) and exits 1. With `--output nix` it prints the Nix
/// expression `builtins.throw "<message>"` on stdout and exits 0: a Nix
/// that evaluates the output (the `builtins.exec` shim for Nix 2.8, or
/// import-from-derivation) then fails evaluation with the evaluator's
/// message, as `builtins.wasm` would.
#[derive(Debug, Parser)]
#[command(name = "nix-wasm-run", version)]
struct Cli {
    /// The plugin: a binary .wasm module (the `path` attribute).
    module: PathBuf,
    /// The exported entry point to call, an `(i32) -> i32` function;
    /// omitted for a WASI program.
    function: Option<String>,
    /// Read the argument as JSON from FILE (`-` reads stdin).
    #[arg(long, value_name = "FILE|-", conflicts_with = "arg_expr")]
    arg_json: Option<PathBuf>,
    /// The argument as JSON text, e.g. `--arg-expr '{"n": 10}'`.
    #[arg(long, value_name = "JSON")]
    arg_expr: Option<String>,
    /// Evaluate as pure evaluation mode does, allowing only files under DIR
    /// (repeatable; a flake's source, store paths): MODULE and the files
    /// the plugin reads must be there. Without it any file may be read,
    /// as with `--impure`.
    #[arg(long, value_name = "DIR")]
    pure: Vec<PathBuf>,
    /// MODULE is WebAssembly text, passed as the `wat` attribute.
    #[arg(long)]
    wat: bool,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Output::Json)]
    output: Output,
    /// The limits of the call: the evaluator's (none beyond wasmtime's
    /// pool: an endless loop runs forever), or this host's stricter test
    /// limits (256 MiB, 60 s, 2^24 values).
    #[arg(long, value_enum, default_value_t = LimitSet::Evaluator)]
    limits: LimitSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LimitSet {
    /// As `builtins.wasm` in Determinate Nix.
    Evaluator,
    /// nix-wasm-host's defaults, for tests.
    Strict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    /// Pretty JSON (attribute names sorted).
    Json,
    /// A Nix expression (attribute names sorted).
    Nix,
}

fn argument(cli: &Cli) -> Result<NixValue, String> {
    let text = match (&cli.arg_json, &cli.arg_expr) {
        (Some(path), _) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the argument from stdin: {e}"))?;
            text
        }
        (Some(path), _) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the argument from {}: {e}", path.display()))?,
        (None, Some(text)) => text.clone(),
        (None, None) => return Ok(NixValue::Null),
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("the argument is not JSON: {e}"))?;
    Ok(NixValue::from_json(&json))
}

/// The first argument of `builtins.wasm` the command line stands for.
fn config(cli: &Cli) -> Result<NixValue, String> {
    let module = if cli.wat {
        let text = std::fs::read(&cli.module)
            .map_err(|e| format!("cannot read {}: {e}", cli.module.display()))?;
        ("wat", NixValue::string(text))
    } else {
        let path = std::path::absolute(&cli.module)
            .map_err(|e| format!("cannot resolve {}: {e}", cli.module.display()))?;
        ("path", NixValue::Path(path_bytes(&path).into()))
    };
    let function = cli
        .function
        .as_ref()
        .map(|name| ("function", NixValue::string(name)));
    NixValue::attrs([Some(module), function].into_iter().flatten()).map_err(|e| e.to_string())
}

#[cfg(unix)]
fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt as _;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

/// Why the runner printed no result.
enum Failure {
    /// The runner's own error (its arguments, printing the result).
    Runner(String),
    /// The call failed: the evaluator's message, and the error as Nix
    /// prints it.
    Call { message: String, printed: Vec<u8> },
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Runner(message)
    }
}

/// Writes `text` to stderr as Nix's logger does: filtered, one line end
/// added.
fn log(text: &[u8]) {
    let mut line = filter_escapes(text);
    line.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&line);
}

/// Runs the call, printing warnings as they come; returns the printed
/// result or why there is none.
fn run(cli: &Cli) -> Result<String, Failure> {
    let argument = argument(cli)?;
    let limits = match cli.limits {
        LimitSet::Evaluator => Limits::evaluator(),
        LimitSet::Strict => Limits::default(),
    };
    let mut host = Host::with_limits(limits).map_err(|e| e.to_string())?;
    if !cli.pure.is_empty() {
        let allowed = cli
            .pure
            .iter()
            .map(std::path::absolute)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("cannot resolve a --pure directory: {e}"))?;
        host = host.with_file_access(FileAccess::Pure(allowed));
    }
    let report = host.builtins_wasm(
        &config(cli)?,
        &argument,
        Some(Box::new(|warning: &Warning| {
            log(&[b"warning: ".as_slice(), &warning.to_bytes()].concat())
        })),
    );
    if let (Some(message), Some(printed)) = (report.error_message(), report.nix_error()) {
        return Err(Failure::Call { message, printed });
    }
    let value = report.result.map_err(|e| e.to_string())?;
    match cli.output {
        Output::Json => value
            .to_json()
            .map(|json| serde_json::to_string_pretty(&json).unwrap_or_else(|_| json.to_string())),
        Output::Nix => value.to_nix_expr(),
    }
    .map_err(|e| Failure::Runner(e.to_string()))
}

/// The stack a call runs on: Nix's, deep enough for values nested
/// [`nix_wasm_host::MAX_DEPTH`] levels (dropped) and forced or printed
/// [`nix_wasm_host::MAX_CALL_DEPTH`] levels deep.
const STACK_SIZE: usize = 64 << 20;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || run(&cli))
            .map_err(|e| Failure::Runner(format!("cannot start the evaluation thread: {e}")))?
            .join()
            .map_err(|_| Failure::Runner("the evaluation thread panicked".to_string()))?
    });
    match outcome {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(Failure::Call { message, .. } | Failure::Runner(message))
            if cli.output == Output::Nix =>
        {
            // A NUL byte would end the Nix source early.
            let message = message.replace('\0', "␀");
            println!("builtins.throw {}", nix_expr::quote(&message));
            ExitCode::SUCCESS
        }
        Err(Failure::Call { mut printed, .. }) => {
            // Already laid out and filtered as Nix's logger does.
            printed.push(b'\n');
            let _ = std::io::stderr().lock().write_all(&printed);
            ExitCode::FAILURE
        }
        Err(Failure::Runner(message)) => {
            log(show_error(&[], &message).as_bytes());
            ExitCode::FAILURE
        }
    }
}
