//! The plan for a person: a summary, the record sheet as an aligned table,
//! the port-forwards, dyndns and the warnings.

use std::fmt::Write as _;

use comfy_table::{Table, presets};
use mailplan::Plan;
use mailplan::dns::DnsRecord;
use mailplan::firewall::{PortRule, Target};
use mailplan::plan::Mode;

/// A borderless table, aligned by column, with a header row unless
/// `header` is empty.
fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    if !header.is_empty() {
        table.set_header(header.iter().map(|h| h.to_string()));
    }
    table
}

/// Indents every line of a rendered table.
fn indented(table: &mut Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|line| format!("  {}\n", line.trim_end()))
        .collect()
}

/// The record sheet as a table.
pub fn records_table(records: &[DnsRecord]) -> String {
    let mut t = table(&["TYPE", "NAME", "VALUE", "NOTE"]);
    for record in records {
        t.add_row(vec![
            record.record_type().to_string(),
            record.name.clone(),
            record.data.value(),
            record.note.clone().unwrap_or_default(),
        ]);
    }
    indented(&mut t)
}

fn ports_table(rules: &[PortRule]) -> String {
    let mut t = table(&["PORT", "PROTO", "TO", "FROM", "WHY"]);
    for rule in rules {
        t.add_row(vec![
            rule.port.to_string(),
            "tcp".to_string(),
            match rule.target {
                Target::Mail => "mail VM".to_string(),
                Target::Pmg => "PMG".to_string(),
            },
            rule.source.map_or("any".to_string(), |ip| ip.to_string()),
            rule.reason.clone(),
        ]);
    }
    indented(&mut t)
}

/// Renders the whole plan for a terminal.
pub fn render_plan(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", plan.name, plan.domain);
    let mut summary = table(&[]);
    let mode = match (&plan.mode, &plan.relay) {
        (Mode::Smarthost, Some(relay)) => format!(
            "smarthost via {} ({}:{}, from {})",
            relay.provider.display_name(),
            relay.host,
            relay.port,
            relay.source,
        ),
        _ => "standalone (direct MX delivery)".to_string(),
    };
    summary.add_row(vec!["mode".to_string(), mode]);
    summary.add_row(vec!["hostname".to_string(), plan.hostname.to_string()]);
    if let Some(relay) = &plan.relay {
        summary.add_row(vec![
            "relayhost".to_string(),
            plan.postfix.relayhost.clone(),
        ]);
        let auth = match (&relay.user, &relay.password_file) {
            (None, _) => "none (the relay trusts the mail VM's IP)".to_string(),
            (Some(user), Some(file)) => format!("{user}, password from {}", file.as_str()),
            (Some(user), None) => format!("{user}, password inline (lands in the Nix store)"),
        };
        summary.add_row(vec!["SASL".to_string(), auth]);
        summary.add_row(vec![
            "credentials".to_string(),
            relay.credential_hint.to_string(),
        ]);
    }
    summary.add_row(vec!["SPF".to_string(), plan.spf.clone()]);
    summary.add_row(vec!["DMARC".to_string(), plan.dmarc.clone()]);
    summary.add_row(vec![
        "DKIM".to_string(),
        format!(
            "selector {}, key {}",
            plan.dkim.selector, plan.dkim.private_key_file
        ),
    ]);
    summary.add_row(vec![
        "TLS".to_string(),
        format!(
            "{} certificate in {}",
            plan.tls.mode.as_str(),
            plan.tls.directory
        ),
    ]);
    let mx: Vec<String> = plan
        .inbound
        .mx
        .iter()
        .map(|m| format!("{} {}", m.priority, m.host))
        .collect();
    summary.add_row(vec![
        "inbound".to_string(),
        format!(
            "MX {}; delivered to the mail VM on port {}",
            mx.join(", "),
            plan.inbound.delivery_port
        ),
    ]);
    if !plan.mailboxes.is_empty() {
        let boxes: Vec<String> = plan
            .mailboxes
            .iter()
            .map(|m| m.address.to_string())
            .collect();
        summary.add_row(vec!["mailboxes".to_string(), boxes.join(", ")]);
    }
    out.push_str(&indented(&mut summary));

    let _ = writeln!(out, "\nDNS records ({})", plan.domain);
    out.push_str(&records_table(&plan.dns_records));

    let _ = writeln!(out, "\nWAN port-forwards");
    out.push_str(&ports_table(&plan.firewall));

    let _ = writeln!(
        out,
        "\ndyndns: {}",
        if plan.ddns.enabled {
            "enabled"
        } else {
            "skipped"
        }
    );
    let _ = writeln!(out, "  {}", plan.ddns.reason);
    for entry in &plan.ddns.settings {
        let _ = writeln!(
            out,
            "  {}",
            serde_json::to_string(entry).expect("settings serialise")
        );
    }

    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings");
        for warning in &plan.warnings {
            let _ = writeln!(out, "  - {warning}");
        }
    }
    out
}
