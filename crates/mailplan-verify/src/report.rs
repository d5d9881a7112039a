//! What verification found: one [`Check`] per thing checked, and the
//! [`Report`] over all of them, for a person or as JSON.

use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// What the plan needs holds.
    Pass,
    /// Something the plan needs does not hold: mail is lost or refused.
    Fail,
    /// Worth a look, or expected for now (a record the VM or the updater
    /// provides that is not there yet); does not fail verification.
    Warn,
    /// No answer to judge by (the resolver refused or timed out): the
    /// site is not fully verified.
    Unchecked,
}

impl Status {
    /// The mark a person sees.
    pub fn mark(self) -> &'static str {
        match self {
            Status::Pass => "✓",
            Status::Fail => "✗",
            Status::Warn => "!",
            Status::Unchecked => "?",
        }
    }
}

/// One check: what was looked at, what the plan expects, what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check (`mx`, `spf-lookups`, `smtp-open-relay`, ...).
    pub check: &'static str,
    /// The DNS name or host it is about.
    pub name: String,
    /// Pass, fail or warn.
    pub status: Status,
    /// What the plan expects.
    pub expected: String,
    /// What is there.
    pub found: String,
    /// The fix, in one sentence, for a fail or a warn.
    pub fix: Option<String>,
}

impl Check {
    /// A check that holds.
    pub fn pass(
        check: &'static str,
        name: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Self {
            check,
            name: name.into(),
            status: Status::Pass,
            expected: expected.into(),
            found: found.into(),
            fix: None,
        }
    }

    /// A check that fails, with its fix.
    pub fn fail(
        check: &'static str,
        name: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            status: Status::Fail,
            fix: Some(fix.into()),
            ..Self::pass(check, name, expected, found)
        }
    }

    /// A check that warns, with what to do.
    pub fn warn(
        check: &'static str,
        name: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            status: Status::Warn,
            ..Self::fail(check, name, expected, found, fix)
        }
    }

    /// A check that got no answer to judge by, with what to do.
    pub fn unchecked(
        check: &'static str,
        name: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            status: Status::Unchecked,
            ..Self::fail(check, name, expected, found, fix)
        }
    }

    /// The same check, failing or only warning.
    pub fn fail_or_warn(self, required: bool) -> Self {
        match (self.status, required) {
            (Status::Fail, false) => Self {
                status: Status::Warn,
                ..self
            },
            _ => self,
        }
    }
}

/// The overall outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every required check holds.
    Ok,
    /// A required check failed.
    Failed,
    /// The checks could not run, or some got no answer (and none failed).
    CouldNotRun,
}

impl Outcome {
    /// The process exit status: 0, 1 or 2.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Failed => 1,
            Outcome::CouldNotRun => 2,
        }
    }
}

/// Everything verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The site's domain.
    pub domain: String,
    /// The resolver that answered.
    pub resolver: String,
    /// Ok, failed, or could not run.
    pub status: Outcome,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// Why the checks could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Report {
    /// A report over `checks`: failed when one of them failed, else could
    /// not run when one got no answer (an exit 0 promises that everything
    /// required was seen to hold).
    pub fn new(domain: String, resolver: String, checks: Vec<Check>) -> Self {
        let unchecked = checks
            .iter()
            .filter(|c| c.status == Status::Unchecked)
            .count();
        let (status, error) = if checks.iter().any(|c| c.status == Status::Fail) {
            (Outcome::Failed, None)
        } else if unchecked > 0 {
            (
                Outcome::CouldNotRun,
                Some(format!(
                    "{unchecked} check(s) got no answer from {resolver} (marked ?), so the site is not fully verified: run verify again, or with a resolver that answers for any domain"
                )),
            )
        } else {
            (Outcome::Ok, None)
        };
        Self {
            domain,
            resolver,
            status,
            checks,
            error,
        }
    }

    /// A report of checks that could not run, and why.
    pub fn could_not_run(domain: String, resolver: String, error: String) -> Self {
        Self {
            domain,
            resolver,
            status: Outcome::CouldNotRun,
            checks: Vec::new(),
            error: Some(error),
        }
    }

    /// The report for a person: one line per check, the fix indented below
    /// a failure or a warning, and a summary.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!("{} via {}\n", self.domain, self.resolver);
        let width = self.checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
        for check in &self.checks {
            let _ = write!(
                out,
                "{} {:width$}  {}: ",
                check.status.mark(),
                check.check,
                check.name
            );
            if check.status == Status::Pass {
                let _ = writeln!(out, "{}", check.found);
            } else {
                let _ = writeln!(out, "expected {}; found {}", check.expected, check.found);
            }
            if let Some(fix) = &check.fix {
                let _ = writeln!(out, "  {:width$}  fix: {fix}", "");
            }
        }
        let count = |status| self.checks.iter().filter(|c| c.status == status).count();
        match (&self.error, self.status) {
            (Some(error), _) => {
                let _ = writeln!(out, "could not verify: {error}");
            }
            (None, status) => {
                let _ = write!(
                    out,
                    "{}: {} passed, {} failed, {} warning(s)",
                    if status == Outcome::Ok {
                        "ok"
                    } else {
                        "failed"
                    },
                    count(Status::Pass),
                    count(Status::Fail),
                    count(Status::Warn)
                );
                let unchecked = count(Status::Unchecked);
                if unchecked > 0 {
                    let _ = write!(out, ", {unchecked} unchecked");
                }
                out.push('\n');
            }
        }
        out
    }
}
