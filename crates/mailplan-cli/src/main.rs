//! `mailplan`: plan a customer mail site from its declaration.

mod human;
mod input;
mod verify;
mod web;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Plan a customer's mail VM: relay, SPF, DNS record sheet, firewall,
/// dyndns — from one declaration (JSON, or TOML for files ending .toml).
#[derive(Debug, Parser)]
#[command(name = "mailplan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the plan (secrets are never printed).
    Plan {
        /// Print the plan as JSON (the plan contract) instead of for a person.
        #[arg(long)]
        json: bool,
        /// The declaration file; `-` reads stdin.
        file: PathBuf,
    },
    /// Print the DNS record sheet.
    Dns {
        /// Print a zone-file fragment (absolute names) for a registrar's import.
        #[arg(long)]
        zone: bool,
        /// The declaration file; `-` reads stdin.
        file: PathBuf,
    },
    /// Print the plan's postfix parameters as `main.cf` lines.
    MainCf {
        /// The declaration file; `-` reads stdin.
        file: PathBuf,
    },
    /// Check the live DNS (and, with --smtp, the mail VM's SMTP listener)
    /// against the plan, after publishing the record sheet. Exit status: 0
    /// when everything required holds, 1 when something required fails, 2
    /// when the checks could not run.
    Verify {
        /// The DNS resolver to ask, `IP` or `IP:PORT` (default: the
        /// system's resolvers).
        #[arg(long, value_name = "IP[:PORT]")]
        resolver: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The mail VM's DKIM key, to compare with the published record:
        /// OpenDKIM's `<selector>.txt` (or /var/lib/opendkim/<domain>.txt)
        /// or its private key `<selector>.private`.
        #[arg(long, value_name = "FILE")]
        dkim_key: Option<PathBuf>,
        /// Also check the SMTP listener at HOST[:PORT] (port 25 by
        /// default): greeting, EHLO name, STARTTLS and its certificate, and
        /// that it refuses to relay.
        #[arg(long, value_name = "HOST[:PORT]")]
        smtp: Option<String>,
        /// The local address the SMTP check connects from (on a machine
        /// with several).
        #[arg(long, value_name = "IP", requires = "smtp")]
        smtp_source: Option<std::net::IpAddr>,
        /// The declaration file; `-` reads stdin.
        file: PathBuf,
    },
    /// Serve the record-sheet page on this machine, for a browser: the
    /// same engine in the page, which sends nothing anywhere (open
    /// web/index.html directly where a browser allows file://).
    Web {
        /// The port to listen on (0: any free port, printed at start).
        #[arg(long, default_value_t = 8587)]
        port: u16,
        /// The address to listen on (127.0.0.1: this machine only).
        #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
        listen: std::net::IpAddr,
    },
    /// Validate the declaration only; warnings go to stderr.
    Check {
        /// Exit non-zero when the plan has warnings.
        #[arg(long)]
        deny_warnings: bool,
        /// The declaration file; `-` reads stdin.
        file: PathBuf,
    },
}

/// Exit status for a declaration that is readable but invalid.
const EXIT_INVALID: u8 = 1;
/// Exit status for a file that cannot be read.
const EXIT_UNREADABLE: u8 = 2;

fn planned(file: &std::path::Path) -> Result<mailplan::Planned, ExitCode> {
    try_planned(file).map_err(|(message, code)| {
        eprintln!("error: {message}");
        ExitCode::from(code)
    })
}

/// The plan of the declaration at `file`, or why not (the message, with
/// every field path, never a secret) and the exit status for it.
fn try_planned(file: &std::path::Path) -> Result<mailplan::Planned, (String, u8)> {
    let declaration = input::read_declaration(file).map_err(|e| {
        let code = match e {
            input::InputError::Io { .. } => EXIT_UNREADABLE,
            input::InputError::Invalid { .. } => EXIT_INVALID,
        };
        (e.to_string(), code)
    })?;
    mailplan::plan(&declaration).map_err(|error| {
        (
            format!("{}: invalid declaration\n{error}", file.display()),
            EXIT_INVALID,
        )
    })
}

fn run(cli: Cli) -> Result<String, ExitCode> {
    Ok(match cli.command {
        Command::Plan { json, file } => {
            let plan = planned(&file)?.plan;
            if json {
                let mut text =
                    serde_json::to_string_pretty(&plan).expect("a plan always serialises");
                text.push('\n');
                text
            } else {
                human::render_plan(&plan)
            }
        }
        Command::Dns { zone, file } => {
            let plan = planned(&file)?.plan;
            if zone {
                mailplan::dns::render_zone(&plan.domain, &plan.dns_records)
            } else {
                human::records_table(&plan.dns_records)
            }
        }
        Command::MainCf { file } => {
            mailplan::postfix::render_main_cf(&planned(&file)?.plan.postfix.main)
        }
        Command::Verify {
            resolver,
            json,
            dkim_key,
            smtp,
            smtp_source,
            file,
        } => {
            let (report, code) = verify::run(
                &file,
                resolver.as_deref(),
                json,
                dkim_key,
                smtp,
                smtp_source,
            );
            write_stdout(&report);
            return Err(code);
        }
        Command::Web { port, listen } => {
            return match web::serve(std::net::SocketAddr::new(listen, port)) {
                Ok(()) => Ok(String::new()),
                Err(message) => {
                    eprintln!("error: {message}");
                    Err(ExitCode::from(EXIT_UNREADABLE))
                }
            };
        }
        Command::Check {
            deny_warnings,
            file,
        } => {
            let plan = planned(&file)?.plan;
            for warning in &plan.warnings {
                eprintln!("warning: {warning}");
            }
            let summary = format!("ok: {}\n", plan.check_summary());
            if deny_warnings && !plan.warnings.is_empty() {
                eprint!("{summary}");
                eprintln!("error: warnings are denied (--deny-warnings)");
                return Err(ExitCode::from(EXIT_INVALID));
            }
            summary
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(output) => write_stdout(&output),
        Err(code) => code,
    }
}

/// Writes `output` to stdout; a closed pipe is not an error.
fn write_stdout(output: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}
