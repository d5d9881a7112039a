//! `mailplan verify`: the live DNS and the mail VM's SMTP listener checked
//! against a site's plan — the guide's last step ("validate MX, SPF, DKIM,
//! DMARC, rDNS; confirm port 25; no open relay"), built in.
//!
//! The engine stays pure: this crate does the I/O, over the engine's
//! [`Plan`]. DNS goes through hickory-resolver ([`dns::HickoryDns`]);
//! the checks are written against the small [`dns::Dns`] interface, so
//! they can be tested over any answers. SPF, DKIM and DMARC records are
//! parsed by mail-auth; the lookup budget is counted here
//! ([`spf_lookups`]), since no library reports it.

pub mod checks;
pub mod dkim_key;
pub mod dns;
pub mod record_lint;
pub mod report;
pub mod smtp;
pub mod spf_lookups;

use mailplan::Plan;

pub use dkim_key::DkimPublicKey;
pub use dns::ResolverAddress;
pub use report::{Check, Outcome, Report, Status};
pub use smtp::SmtpTarget;

use crate::dns::{Dns, HickoryDns, QueryError, Rtype};

/// What to verify besides the DNS.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The mail VM's DKIM key, to compare with the published one.
    pub dkim_key: Option<DkimPublicKey>,
    /// The SMTP listener to check.
    pub smtp: Option<SmtpTarget>,
}

/// Verifies `plan` through the resolver at `resolver`: DNS checks, then
/// the SMTP checks when asked for. A report that could not run (no
/// resolver answered, or it refused) has status [`Outcome::CouldNotRun`].
pub fn verify(plan: &Plan, resolver: ResolverAddress, options: &Options) -> Report {
    let domain = plan.domain.to_string();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return Report::could_not_run(
                domain,
                resolver.to_string(),
                format!("cannot start the DNS client: {error}"),
            );
        }
    };
    runtime.block_on(async {
        let dns = match HickoryDns::new(resolver) {
            Ok(dns) => dns,
            Err(error) => return Report::could_not_run(domain, resolver.to_string(), error),
        };
        verify_with(&dns, plan, &resolver.to_string(), options).await
    })
}

/// Verifies `plan` over any [`Dns`].
pub async fn verify_with<D: Dns>(
    dns: &D,
    plan: &Plan,
    resolver: &str,
    options: &Options,
) -> Report {
    let domain = plan.domain.to_string();
    // One question first: with no answer at all, or a resolver that will
    // not answer us, there is nothing to check.
    let system = resolver == ResolverAddress::System.to_string();
    match dns.query(&domain, Rtype::Mx).await {
        Err(QueryError::Unreachable(why)) => {
            let advice = if system {
                "check the nameserver lines of /etc/resolv.conf, or give --resolver IP"
            } else {
                "check the resolver address, or leave out --resolver to use the system's"
            };
            return Report::could_not_run(
                domain,
                resolver.to_string(),
                format!("no answer from {resolver} ({why}); {advice}"),
            );
        }
        Err(QueryError::Refused) => {
            let advice = if system {
                "give --resolver a resolver that answers this machine for any domain"
            } else {
                "give --resolver a resolver that answers this machine for any domain, or leave it out to use the system's"
            };
            let error = format!(
                "{resolver} refused to answer for {domain} (REFUSED): it does not resolve for this machine or does not serve the domain; {advice}"
            );
            return Report::could_not_run(domain, resolver.to_string(), error);
        }
        _ => {}
    }
    let mut checks = checks::run(dns, plan, options.dkim_key.as_ref()).await;
    if let Some(target) = &options.smtp {
        checks.extend(smtp::run(plan, target));
    }
    Report::new(domain, resolver.to_string(), checks)
}
