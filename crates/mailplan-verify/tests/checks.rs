//! The checks over answers held in memory: each check's pass and its
//! failures, the SPF lookup count through nested includes, loops, voids
//! and macros. (tests/daemons/test_verify.py runs the same checks
//! against a real BIND and a real postfix.)

use std::collections::HashMap;

use mailplan_verify::dns::{Dns, QueryError, Rdata, Rtype};
use mailplan_verify::spf_lookups;
use mailplan_verify::{Check, DkimPublicKey, Options, Outcome, Status, verify_with};

/// A zone in memory: answers by name and type; anything else is NXDOMAIN,
/// or NOERROR without data when the name has other records.
#[derive(Default)]
struct Zone {
    records: HashMap<(String, Rtype), Vec<Rdata>>,
    unreachable: bool,
}

impl Zone {
    fn with(mut self, name: &str, rtype: Rtype, data: Rdata) -> Self {
        self.records
            .entry((name.to_string(), rtype))
            .or_default()
            .push(data);
        self
    }

    fn without(mut self, name: &str, rtype: Rtype) -> Self {
        self.records.remove(&(name.to_string(), rtype));
        self
    }

    fn txt(self, name: &str, text: &str) -> Self {
        self.with(name, Rtype::Txt, Rdata::Txt(text.to_string()))
    }

    fn replace_txt(self, name: &str, text: &str) -> Self {
        self.without(name, Rtype::Txt).txt(name, text)
    }
}

impl Dns for Zone {
    async fn query(&self, name: &str, rtype: Rtype) -> Result<Vec<Rdata>, QueryError> {
        if self.unreachable {
            return Err(QueryError::Unreachable("request timed out".into()));
        }
        if let Some(records) = self.records.get(&(name.to_string(), rtype)) {
            return Ok(records.clone());
        }
        // A name that is a CNAME answers every type with the alias.
        if let Some(alias) = self.records.get(&(name.to_string(), Rtype::Cname)) {
            return Ok(alias.clone());
        }
        if self.records.keys().any(|(n, _)| n == name) {
            Err(QueryError::NoData)
        } else {
            Err(QueryError::NxDomain)
        }
    }
}

/// A real 2048-bit RSA public key (SubjectPublicKeyInfo, base64).
const DKIM_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1MzUvzTO7A6/7n8xos8CZsmqcFWKwZJkJ2wwz+UJsGK26FwIw/J52tj2fuAzuFVmH9uUhhQdnFwZz/bZTMjHRj4NrIA3znaYF5xIeRLxFSEIiIcNhsn2HOG8+WRVL7tJkdFYihSqxKA8bKCfAG2fpa7V4sBXb8eLuthT9JLTw/4BdGVdhJWU4goiT4/c8xn723kkYNvG6eI6d9K5/9cfwdJOHxGgTH2Eefq0t2gB28KxC722zxlO1u4h+6ntxV6+HBo4Mvia3V3ZTEzFAcyMusEYp1FSZrrUNKkbf7FCNFYSatOr6sxHu/3YYnekpnWcgQcFCogvhPcRSPosf8vlIQIDAQAB";

fn plan(example: &str) -> mailplan::Plan {
    let path = format!("{}/../../examples/{example}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let declaration: mailplan::Declaration = serde_json::from_str(&text).unwrap();
    mailplan::plan(&declaration).unwrap().plan
}

/// examples/static-ip.json (Gmail relay, 203.0.113.5) published exactly
/// as planned, with Google's three nested includes and the VM's DKIM key.
fn static_ip_zone() -> Zone {
    Zone::default()
        .with("mail.example.com", Rtype::A, Rdata::A("203.0.113.5".parse().unwrap()))
        .with("example.com", Rtype::Mx, Rdata::Mx(10, "mail.example.com".into()))
        .txt("example.com", "v=spf1 mx include:_spf.google.com -all")
        .txt(
            "_spf.google.com",
            "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com include:_netblocks3.google.com ~all",
        )
        .txt("_netblocks.google.com", "v=spf1 ip4:35.190.247.0/24 ~all")
        .txt("_netblocks2.google.com", "v=spf1 ip6:2001:4860:4000::/36 ~all")
        .txt("_netblocks3.google.com", "v=spf1 ip4:172.217.32.0/20 ~all")
        .txt("default._domainkey.example.com", &format!("v=DKIM1; k=rsa; p={DKIM_KEY}"))
        .txt("_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.com")
        .with("5.113.0.203.in-addr.arpa", Rtype::Ptr, Rdata::Ptr("mail.example.com".into()))
}

fn run(zone: &Zone, example: &str, dkim_key: Option<&str>) -> mailplan_verify::Report {
    run_plan(zone, &plan(example), dkim_key)
}

fn run_plan(zone: &Zone, plan: &mailplan::Plan, dkim_key: Option<&str>) -> mailplan_verify::Report {
    let options = Options {
        dkim_key: dkim_key.map(|k| DkimPublicKey::from_record(&format!("p={k}")).unwrap()),
        smtp: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(verify_with(zone, plan, "memory", &options))
}

fn check<'a>(report: &'a mailplan_verify::Report, id: &str) -> &'a Check {
    report
        .checks
        .iter()
        .find(|c| c.check == id)
        .unwrap_or_else(|| panic!("no {id} check in {report:#?}"))
}

#[test]
fn a_site_published_as_planned_passes_every_check() {
    let report = run(&static_ip_zone(), "static-ip.json", Some(DKIM_KEY));
    assert_eq!(report.status, Outcome::Ok, "{}", report.render());
    assert!(
        report.checks.iter().all(|c| c.status == Status::Pass),
        "{}",
        report.render()
    );
    let lookups = check(&report, "spf-lookups");
    assert!(lookups.found.starts_with("5 lookups"), "{}", lookups.found);
}

#[test]
fn a_missing_dkim_record_is_a_warning_until_the_vm_key_is_given() {
    let zone = static_ip_zone().without("default._domainkey.example.com", Rtype::Txt);
    let report = run(&zone, "static-ip.json", None);
    assert_eq!(check(&report, "dkim").status, Status::Warn);
    assert_eq!(report.status, Outcome::Ok);
    let report = run(&zone, "static-ip.json", Some(DKIM_KEY));
    assert_eq!(check(&report, "dkim").status, Status::Fail);
    assert_eq!(report.status, Outcome::Failed);
}

#[test]
fn another_dkim_key_fails() {
    let other = format!("{}A{}", &DKIM_KEY[..60], &DKIM_KEY[61..]);
    let report = run(&static_ip_zone(), "static-ip.json", Some(&other));
    let dkim = check(&report, "dkim");
    assert_eq!(dkim.status, Status::Fail);
    assert!(dkim.found.contains("another key"), "{}", dkim.found);
}

#[test]
fn a_damaged_dkim_record_fails() {
    let zone = static_ip_zone().replace_txt(
        "default._domainkey.example.com",
        "v=DKIM1; k=rsa; p=MIIBIjANBgkq",
    );
    let report = run(&zone, "static-ip.json", None);
    let dkim = check(&report, "dkim");
    assert_eq!(dkim.status, Status::Fail);
    assert!(
        dkim.found.contains("not a valid DKIM1 record"),
        "{}",
        dkim.found
    );
}

#[test]
fn spf_missing_twice_or_short_of_a_term_fails() {
    let zone = static_ip_zone().without("example.com", Rtype::Txt);
    assert_eq!(
        check(&run(&zone, "static-ip.json", None), "spf").status,
        Status::Fail
    );

    let zone = static_ip_zone().txt("example.com", "v=spf1 mx -all");
    let spf = run(&zone, "static-ip.json", None);
    assert!(check(&spf, "spf").found.starts_with("2 v=spf1 records"));

    let zone = static_ip_zone().replace_txt("example.com", "v=spf1 mx -all");
    let spf = run(&zone, "static-ip.json", None);
    let spf = check(&spf, "spf");
    assert_eq!(spf.status, Status::Fail);
    assert!(
        spf.fix
            .as_ref()
            .unwrap()
            .contains("include:_spf.google.com")
    );
}

#[test]
fn a_superset_passes_and_a_weaker_all_warns() {
    let zone = static_ip_zone().replace_txt(
        "example.com",
        "v=spf1 mx ip4:198.51.100.7 include:_spf.google.com -all",
    );
    assert_eq!(
        check(&run(&zone, "static-ip.json", None), "spf").status,
        Status::Pass
    );
    let zone =
        static_ip_zone().replace_txt("example.com", "v=spf1 mx include:_spf.google.com ~all");
    assert_eq!(
        check(&run(&zone, "static-ip.json", None), "spf").status,
        Status::Warn
    );
}

#[test]
fn nested_includes_count_against_the_limit_of_ten() {
    // Google's 4 plus mx plus 6 includes of 1 = 11.
    let mut zone = static_ip_zone();
    let mut record = "v=spf1 mx include:_spf.google.com".to_string();
    for i in 0..6 {
        let name = format!("s{i}.example.net");
        zone = zone.txt(&name, "v=spf1 ip4:192.0.2.0/24 -all");
        record.push_str(&format!(" include:{name}"));
    }
    record.push_str(" -all");
    let zone = zone.replace_txt("example.com", &record);
    let report = run(&zone, "static-ip.json", None);
    let lookups = check(&report, "spf-lookups");
    assert_eq!(lookups.status, Status::Fail);
    assert!(lookups.found.starts_with("11 lookups"), "{}", lookups.found);
}

fn count(zone: &Zone, record: &str) -> spf_lookups::LookupCount {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(spf_lookups::count(zone, "example.com", record))
}

#[test]
fn voids_loops_redirects_and_macros_are_counted_as_receivers_do() {
    let zone = Zone::default()
        .txt("loop.example.net", "v=spf1 include:example.com -all")
        .txt("redirected.example.net", "v=spf1 a:host.example.net -all");
    let voids = count(
        &zone,
        "v=spf1 a:gone1.example.net a:gone2.example.net exists:gone3.example.net -all",
    );
    assert_eq!((voids.lookups, voids.voids), (3, 3));
    let looped = count(&zone, "v=spf1 include:loop.example.net -all");
    assert!(
        looped.errors.iter().any(|e| e.contains("loops back")),
        "{looped:?}"
    );
    let redirect = count(&zone, "v=spf1 redirect=redirected.example.net");
    assert_eq!(redirect.lookups, 2);
    assert_eq!(redirect.voids, 1, "a:host.example.net has no address");
    // RFC 7208 §6.1: with `all`, redirect is never evaluated.
    assert_eq!(
        count(&zone, "v=spf1 -all redirect=redirected.example.net").lookups,
        0
    );
    let macros = count(&zone, "v=spf1 exists:%{i}._spf.example.net -all");
    assert_eq!(macros.lookups, 1);
    assert_eq!(macros.unfollowed.len(), 1);
    let missing = count(&zone, "v=spf1 include:nothing.example.net -all");
    assert!(
        missing.errors[0].contains("no usable SPF record"),
        "{missing:?}"
    );
}

#[test]
fn mx_at_a_cname_and_mx_without_address_fail() {
    let zone = static_ip_zone().without("mail.example.com", Rtype::A).with(
        "mail.example.com",
        Rtype::Cname,
        Rdata::Cname("host.example.net".into()),
    );
    let report = run(&zone, "static-ip.json", None);
    let target = check(&report, "mx-target");
    assert_eq!(target.status, Status::Fail);
    assert!(target.fix.as_ref().unwrap().contains("RFC 2181"));
    assert_eq!(check(&report, "address").status, Status::Fail);

    let zone = static_ip_zone()
        .without("example.com", Rtype::Mx)
        .with(
            "example.com",
            Rtype::Mx,
            Rdata::Mx(10, "mail.example.com".into()),
        )
        .with(
            "example.com",
            Rtype::Mx,
            Rdata::Mx(20, "old-mx.example.net".into()),
        );
    let report = run(&zone, "static-ip.json", None);
    let mx = check(&report, "mx");
    assert_eq!(mx.status, Status::Fail);
    assert!(
        mx.fix
            .as_ref()
            .unwrap()
            .contains("remove 20 old-mx.example.net")
    );
}

#[test]
fn dmarc_missing_of_another_policy_or_reporting_outside_unauthorised_fails() {
    let zone = static_ip_zone().without("_dmarc.example.com", Rtype::Txt);
    assert_eq!(
        check(&run(&zone, "static-ip.json", None), "dmarc").status,
        Status::Fail
    );
    let zone = static_ip_zone().replace_txt("_dmarc.example.com", "v=DMARC1; p=none");
    let report = run(&zone, "static-ip.json", None);
    assert!(check(&report, "dmarc").found.contains("p=none"));
    let zone = static_ip_zone().replace_txt(
        "_dmarc.example.com",
        "v=DMARC1; p=quarantine; rua=mailto:reports@dmarc.example.net",
    );
    let report = run(&zone, "static-ip.json", None);
    let authorization = check(&report, "dmarc-report-authorization");
    assert_eq!(authorization.status, Status::Fail);
    assert_eq!(
        authorization.name,
        "example.com._report._dmarc.dmarc.example.net"
    );
    let zone = zone.txt("example.com._report._dmarc.dmarc.example.net", "v=DMARC1");
    let report = run(&zone, "static-ip.json", None);
    assert_eq!(
        check(&report, "dmarc-report-authorization").status,
        Status::Pass
    );
}

#[test]
fn rdns_must_name_the_host_and_be_forward_confirmed() {
    let zone = static_ip_zone().without("5.113.0.203.in-addr.arpa", Rtype::Ptr);
    let report = run(&zone, "standalone.json", None);
    assert_eq!(check(&report, "rdns").status, Status::Fail);
    // Behind a smarthost the relay's PTR is what receivers see.
    let report = run(&zone, "static-ip.json", None);
    assert_eq!(check(&report, "rdns").status, Status::Warn);

    let zone = static_ip_zone()
        .without("5.113.0.203.in-addr.arpa", Rtype::Ptr)
        .with(
            "5.113.0.203.in-addr.arpa",
            Rtype::Ptr,
            Rdata::Ptr("dyn-5.isp.example".into()),
        );
    let report = run(&zone, "standalone.json", None);
    assert!(check(&report, "rdns").found.contains("dyn-5.isp.example"));
}

#[test]
fn a_dangling_dyndns_cname_fails() {
    let plan = plan("noip-dyndns.json");
    let cname = plan
        .dns_records
        .iter()
        .find(|r| r.data.record_type() == "CNAME")
        .expect("the noip example publishes a CNAME");
    assert_eq!(cname.data.value(), "laufentaler.ddns.net");
    let zone = Zone::default()
        .with(
            "mail.laufentaler.ch",
            Rtype::Cname,
            Rdata::Cname("laufentaler.ddns.net".into()),
        )
        .with(
            "laufentaler.ch",
            Rtype::Mx,
            Rdata::Mx(10, "laufentaler.ddns.net".into()),
        );
    let report = run(&zone, "noip-dyndns.json", None);
    let target = check(&report, "dyndns-target");
    assert_eq!(target.status, Status::Fail);
    assert!(target.fix.as_ref().unwrap().contains("ddns-updater"));
    assert_eq!(check(&report, "address").status, Status::Pass);
}

#[test]
fn an_own_zone_dyndns_name_is_checked_once_as_the_updaters_record() {
    let declaration = serde_json::json!({
        "name": "ExampleCorp",
        "domain": "example.com",
        "domainProvider": { "provider": "desec", "hosts": ["home"] },
        "users": [{ "name": "ddns", "passwordFile": "/run/secrets/ddns", "roles": ["domain-provider"] }],
    });
    let plan = mailplan::plan_json(&declaration.to_string()).unwrap().plan;
    let published = Zone::default()
        .with(
            "mail.example.com",
            Rtype::Cname,
            Rdata::Cname("home.example.com".into()),
        )
        .with(
            "home.example.com",
            Rtype::A,
            Rdata::A("198.51.100.7".parse().unwrap()),
        )
        .with(
            "example.com",
            Rtype::Mx,
            Rdata::Mx(10, "home.example.com".into()),
        );
    let report = run_plan(&published, &plan, None);
    assert!(
        report.checks.iter().all(|c| c.check != "dyndns-target"),
        "{}",
        report.render()
    );
    let home = report
        .checks
        .iter()
        .find(|c| c.check == "address" && c.name == "home.example.com")
        .unwrap_or_else(|| panic!("{}", report.render()));
    assert_eq!(home.status, Status::Pass);
    assert_eq!(check(&report, "mx-target").status, Status::Pass);

    // Before the updater's first run: its record only warns, but the MX
    // leads nowhere, and that fails.
    let report = run_plan(
        &published.without("home.example.com", Rtype::A),
        &plan,
        None,
    );
    let home = report
        .checks
        .iter()
        .find(|c| c.check == "address" && c.name == "home.example.com")
        .unwrap();
    assert_eq!(home.status, Status::Warn);
    assert_eq!(check(&report, "mx-target").status, Status::Fail);
    assert_eq!(report.status, Outcome::Failed);
}

#[test]
fn no_answer_at_all_means_the_checks_could_not_run() {
    let zone = Zone {
        unreachable: true,
        ..Zone::default()
    };
    let report = run(&zone, "static-ip.json", None);
    assert_eq!(report.status, Outcome::CouldNotRun);
    assert_eq!(report.status.exit_code(), 2);
    assert!(
        report
            .error
            .as_ref()
            .unwrap()
            .contains("no answer from memory")
    );
}
