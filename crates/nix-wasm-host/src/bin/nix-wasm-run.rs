//! `nix-wasm-run`: call an entry point of any `builtins.wasm` plugin.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use nix_wasm_host::{Host, NixValue, nix_expr, to_nix_expr};

/// Calls FUNCTION of the builtins.wasm plugin MODULE, as
/// `builtins.wasm { path = MODULE; function = FUNCTION; } ARGUMENT` would,
/// and prints the result.
///
/// With `--output nix` a failed call prints `builtins.throw "<message>"`
/// and exits 0: a Nix caller (e.g. through `builtins.exec`) then fails
/// evaluation with the plugin's message, as builtins.wasm would.
#[derive(Debug, Parser)]
#[command(name = "nix-wasm-run", version)]
struct Cli {
    /// The plugin (.wasm, or .wat text).
    module: PathBuf,
    /// The exported entry point to call.
    function: String,
    /// Read the argument as JSON from this file (`-` for stdin).
    #[arg(long, conflicts_with = "arg_expr")]
    arg_json: Option<PathBuf>,
    /// The argument as JSON text.
    #[arg(long)]
    arg_expr: Option<String>,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Output::Json)]
    output: Output,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    /// Pretty JSON (attribute names sorted).
    Json,
    /// A Nix expression.
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

fn run(cli: &Cli) -> Result<(String, Vec<String>), String> {
    let argument = argument(cli)?;
    let host = Host::new().map_err(|e| e.to_string())?;
    let plugin = host.plugin(&cli.module).map_err(|e| e.to_string())?;
    let outcome = plugin
        .call(&cli.function, &argument)
        .map_err(|e| e.to_string())?;
    let text = match cli.output {
        Output::Json => outcome
            .value
            .to_json()
            .map(|json| serde_json::to_string_pretty(&json).expect("JSON values serialise")),
        Output::Nix => to_nix_expr(&outcome.value),
    }
    .map_err(|e| e.to_string())?;
    Ok((text, outcome.warnings))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let module_name = cli
        .module
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match run(&cli) {
        Ok((text, warnings)) => {
            for warning in warnings {
                eprintln!(
                    "warning: '{module_name}' function '{}': {warning}",
                    cli.function
                );
            }
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => match cli.output {
            Output::Nix => {
                println!("builtins.throw {}", nix_expr::quote(&message));
                ExitCode::SUCCESS
            }
            Output::Json => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
    }
}
