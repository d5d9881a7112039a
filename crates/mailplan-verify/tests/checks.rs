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
    /// Queries that fail (SERVFAIL, REFUSED, ...), by name and type.
    errors: HashMap<(String, Rtype), QueryError>,
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

    fn failing(mut self, name: &str, rtype: Rtype, error: QueryError) -> Self {
        self.errors.insert((name.to_string(), rtype), error);
        self
    }
}

impl Dns for Zone {
    async fn query(&self, name: &str, rtype: Rtype) -> Result<Vec<Rdata>, QueryError> {
        if self.unreachable {
            return Err(QueryError::Unreachable("request timed out".into()));
        }
        if let Some(error) = self.errors.get(&(name.to_string(), rtype)) {
            return Err(error.clone());
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
            .contains("remove MX 20 old-mx.example.net"),
        "{mx:?}"
    );
    assert_eq!(mx.expected, "MX 10 mail.example.com");
    assert_eq!(mx.found, "MX 10 mail.example.com, MX 20 old-mx.example.net");
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

#[test]
fn each_check_shows_expected_and_found_in_one_format_whatever_the_outcome() {
    let report = run(&static_ip_zone(), "static-ip.json", None);
    let address = check(&report, "address");
    assert_eq!(
        (address.expected.as_str(), address.found.as_str()),
        ("A 203.0.113.5", "A 203.0.113.5")
    );
    let mx = check(&report, "mx");
    assert_eq!(
        (mx.expected.as_str(), mx.found.as_str()),
        ("MX 10 mail.example.com", "MX 10 mail.example.com")
    );
    assert_eq!(check(&report, "mx-target").found, "A 203.0.113.5");

    let zone = static_ip_zone()
        .without("mail.example.com", Rtype::A)
        .with(
            "mail.example.com",
            Rtype::A,
            Rdata::A("203.0.113.99".parse().unwrap()),
        )
        .without("example.com", Rtype::Mx)
        .with(
            "example.com",
            Rtype::Mx,
            Rdata::Mx(10, "mx.mailhost.example.net".into()),
        );
    let report = run(&zone, "static-ip.json", None);
    let address = check(&report, "address");
    assert_eq!(address.status, Status::Fail);
    assert_eq!(
        (address.expected.as_str(), address.found.as_str()),
        ("A 203.0.113.5", "A 203.0.113.99")
    );
    let mx = check(&report, "mx");
    assert_eq!(
        (mx.expected.as_str(), mx.found.as_str()),
        ("MX 10 mail.example.com", "MX 10 mx.mailhost.example.net")
    );
}

#[test]
fn a_refusing_resolver_means_the_checks_could_not_run() {
    let zone = static_ip_zone().failing("example.com", Rtype::Mx, QueryError::Refused);
    let report = run(&zone, "static-ip.json", None);
    assert_eq!(report.status, Outcome::CouldNotRun, "{}", report.render());
    assert_eq!(report.status.exit_code(), 2);
    let error = report.error.as_deref().unwrap();
    assert!(error.contains("memory refused"), "{error}");
    assert!(error.contains("REFUSED"), "{error}");
    assert!(report.checks.is_empty());
}

#[test]
fn servfail_fails_and_asks_about_the_zone_not_to_publish() {
    let zone = static_ip_zone()
        .failing("example.com", Rtype::Txt, QueryError::ServFail)
        .failing("mail.example.com", Rtype::A, QueryError::ServFail);
    let report = run(&zone, "static-ip.json", None);
    assert_eq!(report.status, Outcome::Failed);
    for id in ["spf", "address"] {
        let failed = check(&report, id);
        assert_eq!(failed.status, Status::Fail, "{failed:?}");
        assert!(failed.found.contains("SERVFAIL"), "{failed:?}");
        let fix = failed.fix.as_deref().unwrap();
        assert!(
            fix.contains("DNSSEC") && fix.contains("delegation"),
            "{fix}"
        );
        assert!(!fix.to_lowercase().contains("publish"), "{fix}");
    }
}

#[test]
fn a_servfail_on_the_ptr_is_the_reverse_zone_failing_not_a_missing_ptr() {
    let zone =
        static_ip_zone().failing("5.113.0.203.in-addr.arpa", Rtype::Ptr, QueryError::ServFail);
    let report = run(&zone, "standalone.json", None);
    let rdns = check(&report, "rdns");
    assert_eq!(rdns.status, Status::Fail);
    assert_eq!(
        rdns.found,
        "the reverse zone of 203.0.113.5 failed to answer (SERVFAIL)"
    );
    let fix = rdns.fix.as_deref().unwrap();
    assert!(fix.contains("reverse zone"), "{fix}");
    assert!(!fix.contains("set the reverse DNS"), "{fix}");
}

#[test]
fn a_refusal_after_the_first_answer_leaves_that_check_unchecked_and_the_run_not_ok() {
    let zone = static_ip_zone().failing("_dmarc.example.com", Rtype::Txt, QueryError::Refused);
    let report = run(&zone, "static-ip.json", Some(DKIM_KEY));
    let dmarc = check(&report, "dmarc");
    assert_eq!(dmarc.status, Status::Unchecked, "{dmarc:?}");
    assert!(dmarc.fix.as_deref().unwrap().contains("not checked"));
    // Everything else holds, but exit 0 would claim DMARC was seen.
    assert_eq!(report.status, Outcome::CouldNotRun, "{}", report.render());
    assert_eq!(report.status.exit_code(), 2);
    let rendered = report.render();
    assert!(rendered.contains("? dmarc"), "{rendered}");
    assert!(
        rendered.contains("could not verify: 1 check(s) got no answer"),
        "{rendered}"
    );

    // A failure elsewhere is a finding: the run fails (exit 1).
    let zone = zone.replace_txt("example.com", "v=spf1 -all");
    let report = run(&zone, "static-ip.json", Some(DKIM_KEY));
    assert_eq!(report.status, Outcome::Failed, "{}", report.render());
    assert!(
        report.render().contains(", 1 unchecked"),
        "{}",
        report.render()
    );
}

#[test]
fn an_spf_include_that_fails_to_answer_is_a_temperror() {
    let zone = static_ip_zone().failing("_netblocks2.google.com", Rtype::Txt, QueryError::ServFail);
    let report = run(&zone, "static-ip.json", None);
    let lookups = check(&report, "spf-lookups");
    assert_eq!(lookups.status, Status::Warn, "{lookups:?}");
    assert!(
        lookups.found.starts_with("at least 5 lookups"),
        "{}",
        lookups.found
    );
    assert!(lookups.found.contains("temperror"), "{}", lookups.found);
    assert!(!lookups.found.contains("permerror"), "{}", lookups.found);
    let fix = lookups.fix.as_deref().unwrap();
    assert!(fix.contains("include:_netblocks2.google.com"), "{fix}");
    assert!(fix.contains("temperror"), "{fix}");

    let counted = count(
        &Zone::default().failing("broken.example.net", Rtype::A, QueryError::ServFail),
        "v=spf1 a:broken.example.net -all",
    );
    assert_eq!(counted.temperrors.len(), 1, "{counted:?}");
    assert!(counted.errors.is_empty(), "{counted:?}");
    assert_eq!(counted.voids, 0);
}

#[test]
fn spf_terms_in_another_order_pass_and_say_so() {
    let zone =
        static_ip_zone().replace_txt("example.com", "v=spf1 include:_spf.google.com mx -all");
    let report = run(&zone, "static-ip.json", None);
    let spf = check(&report, "spf");
    assert_eq!(spf.status, Status::Pass);
    assert!(
        spf.found.contains("the plan's terms in another order"),
        "{}",
        spf.found
    );
    assert!(!spf.found.contains("and more"), "{}", spf.found);

    let zone = static_ip_zone().replace_txt(
        "example.com",
        "v=spf1 mx ip4:198.51.100.7 include:_spf.google.com -all",
    );
    let spf = run(&zone, "static-ip.json", None);
    assert!(
        check(&spf, "spf").found.contains("plus ip4:198.51.100.7"),
        "{}",
        check(&spf, "spf").found
    );
}

#[test]
fn spf_all_must_stay_last() {
    let zone =
        static_ip_zone().replace_txt("example.com", "v=spf1 mx -all include:_spf.google.com");
    let report = run(&zone, "static-ip.json", None);
    let spf = check(&report, "spf");
    assert_eq!(spf.status, Status::Fail);
    let fix = spf.fix.as_deref().unwrap();
    assert!(
        fix.contains("include:_spf.google.com come(s) after -all"),
        "{fix}"
    );

    let zone = static_ip_zone().replace_txt(
        "example.com",
        "v=spf1 mx include:_spf.google.com -all ip4:192.0.2.1",
    );
    let spf = run(&zone, "static-ip.json", None);
    assert_eq!(check(&spf, "spf").status, Status::Warn);

    let zone =
        static_ip_zone().replace_txt("example.com", "v=spf1 mx include:_spf.google.com +all");
    assert_eq!(
        check(&run(&zone, "static-ip.json", None), "spf").status,
        Status::Fail
    );
}

#[test]
fn a_softfail_all_warns_and_says_why_the_plan_has_a_hard_one() {
    let zone =
        static_ip_zone().replace_txt("example.com", "v=spf1 mx include:_spf.google.com ~all");
    let report = run(&zone, "static-ip.json", None);
    let spf = check(&report, "spf");
    assert_eq!(spf.status, Status::Warn);
    let fix = spf.fix.as_deref().unwrap();
    assert!(fix.contains("the plan ends in -all because"), "{fix}");
}

#[test]
fn rdns_not_forward_confirmed_reads_as_one_clause() {
    let zone = static_ip_zone().without("mail.example.com", Rtype::A);
    let report = run(&zone, "standalone.json", None);
    let rdns = check(&report, "rdns");
    assert_eq!(
        rdns.found,
        "PTR mail.example.com, which does not resolve (NXDOMAIN)"
    );
    let zone = static_ip_zone().without("mail.example.com", Rtype::A).with(
        "mail.example.com",
        Rtype::A,
        Rdata::A("203.0.113.6".parse().unwrap()),
    );
    let report = run(&zone, "standalone.json", None);
    assert_eq!(
        check(&report, "rdns").found,
        "PTR mail.example.com, which resolves to A 203.0.113.6"
    );
}

#[test]
fn dkim_and_dmarc_parse_errors_name_the_tag() {
    let cases = [
        (
            format!("k=rsa; v=DKIM1; p={DKIM_KEY}"),
            "v=DKIM1 must be the first tag",
        ),
        (
            "v=DKIM1; k=rsa".to_string(),
            "the p= tag (the public key) is missing",
        ),
        (format!("v=DKIM1; k=dsa; p={DKIM_KEY}"), "k=dsa"),
        (
            "v=DKIM1; k=rsa; p=MIIBIjANBgkq".to_string(),
            "p= does not hold a valid public key",
        ),
    ];
    for (record, expected) in cases {
        let zone = static_ip_zone().replace_txt("default._domainkey.example.com", &record);
        let report = run(&zone, "static-ip.json", None);
        let dkim = check(&report, "dkim");
        assert_eq!(dkim.status, Status::Fail, "{record}");
        assert!(dkim.found.contains(expected), "{record}: {}", dkim.found);
    }
    let cases = [
        (
            "v=DMARC1; rua=mailto:postmaster@example.com",
            "the p= tag (the policy) is missing",
        ),
        (
            "v=DMARC1; p=quarantaine",
            "p=quarantaine is not a policy (none, quarantine or reject)",
        ),
        (
            "v=DMARC1; p=quarantine; rua=postmaster@example.com",
            "not a mailto: address",
        ),
    ];
    for (record, expected) in cases {
        let zone = static_ip_zone().replace_txt("_dmarc.example.com", record);
        let report = run(&zone, "static-ip.json", None);
        let dmarc = check(&report, "dmarc");
        assert_eq!(dmarc.status, Status::Fail, "{record}");
        assert!(dmarc.found.contains(expected), "{record}: {}", dmarc.found);
    }
    let zone = static_ip_zone().replace_txt("_dmarc.example.com", "p=quarantine; v=DMARC1");
    let report = run(&zone, "static-ip.json", None);
    let dmarc = check(&report, "dmarc");
    assert_eq!(dmarc.status, Status::Fail);
    assert!(
        dmarc
            .fix
            .as_deref()
            .unwrap()
            .contains("v=DMARC1 must be the first tag"),
        "{dmarc:?}"
    );
}

/// A standalone site on static addresses, v4 and v6, with the v6 PTR
/// declared set: the plan publishes an AAAA, and both PTRs are required.
fn dual_stack_plan() -> mailplan::Plan {
    let declaration = serde_json::json!({
        "name": "DualStack",
        "domain": "example.com",
        "publicIP": "203.0.113.5",
        "publicIPv6": "2001:db8::25",
        "ipv6Ptr": true,
        "isp": { "port25Outbound": true, "rdns": true },
        "users": [{ "name": "alice@example.com", "passwordFile": "/run/secrets/mail/alice" }],
    });
    mailplan::plan_json(&declaration.to_string()).unwrap().plan
}

/// The v6 PTR owner of 2001:db8::25 (RFC 3596 nibbles).
const V6_REVERSE: &str = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";

/// The dual-stack site published as planned.
fn dual_stack_zone() -> Zone {
    Zone::default()
        .with(
            "mail.example.com",
            Rtype::A,
            Rdata::A("203.0.113.5".parse().unwrap()),
        )
        .with(
            "mail.example.com",
            Rtype::Aaaa,
            Rdata::Aaaa("2001:db8::25".parse().unwrap()),
        )
        .with(
            "example.com",
            Rtype::Mx,
            Rdata::Mx(10, "mail.example.com".into()),
        )
        .txt("example.com", "v=spf1 mx -all")
        .txt(
            "default._domainkey.example.com",
            &format!("v=DKIM1; k=rsa; p={DKIM_KEY}"),
        )
        .txt(
            "_dmarc.example.com",
            "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.com",
        )
        .with(
            "5.113.0.203.in-addr.arpa",
            Rtype::Ptr,
            Rdata::Ptr("mail.example.com".into()),
        )
        .with(
            V6_REVERSE,
            Rtype::Ptr,
            Rdata::Ptr("mail.example.com".into()),
        )
}

fn named<'a>(report: &'a mailplan_verify::Report, id: &str, name: &str) -> Vec<&'a Check> {
    report
        .checks
        .iter()
        .filter(|c| c.check == id && c.name == name)
        .collect()
}

#[test]
fn an_aaaa_and_its_v6_ptr_as_planned_pass() {
    let plan = dual_stack_plan();
    let report = run_plan(&dual_stack_zone(), &plan, Some(DKIM_KEY));
    assert_eq!(report.status, Outcome::Ok, "{}", report.render());
    assert!(
        report.checks.iter().all(|c| c.status == Status::Pass),
        "{}",
        report.render()
    );
    let addresses: Vec<(&str, &str)> = named(&report, "address", "mail.example.com")
        .iter()
        .map(|c| (c.expected.as_str(), c.found.as_str()))
        .collect();
    assert_eq!(
        addresses,
        [
            ("A 203.0.113.5", "A 203.0.113.5"),
            ("AAAA 2001:db8::25", "AAAA 2001:db8::25")
        ]
    );
    let rdns = named(&report, "rdns", V6_REVERSE);
    assert_eq!(rdns.len(), 1, "{}", report.render());
    assert_eq!(
        rdns[0].found,
        "PTR mail.example.com → 2001:db8::25 (forward-confirmed)"
    );
    assert_eq!(named(&report, "rdns", "5.113.0.203.in-addr.arpa").len(), 1);
}

#[test]
fn a_v6_ptr_missing_or_not_forward_confirmed_fails() {
    let plan = dual_stack_plan();
    let report = run_plan(
        &dual_stack_zone().without(V6_REVERSE, Rtype::Ptr),
        &plan,
        None,
    );
    assert_eq!(report.status, Outcome::Failed);
    let rdns = named(&report, "rdns", V6_REVERSE)[0];
    assert_eq!(rdns.status, Status::Fail);
    assert_eq!(rdns.found, "the name does not exist (NXDOMAIN)");
    assert!(rdns.fix.as_deref().unwrap().contains("2001:db8::25"));
    assert_eq!(
        named(&report, "rdns", "5.113.0.203.in-addr.arpa")[0].status,
        Status::Pass
    );

    // The AAAA moved, the PTR did not: the AAAA and the v6 PTR fail.
    let zone = dual_stack_zone()
        .without("mail.example.com", Rtype::Aaaa)
        .with(
            "mail.example.com",
            Rtype::Aaaa,
            Rdata::Aaaa("2001:db8::26".parse().unwrap()),
        );
    let report = run_plan(&zone, &plan, None);
    let rdns = named(&report, "rdns", V6_REVERSE)[0];
    assert_eq!(rdns.status, Status::Fail);
    assert_eq!(
        rdns.found,
        "PTR mail.example.com, which resolves to AAAA 2001:db8::26"
    );
    let v6 = named(&report, "address", "mail.example.com")[1];
    assert_eq!(
        (v6.status, v6.found.as_str()),
        (Status::Fail, "AAAA 2001:db8::26")
    );

    // Behind a smarthost the v6 PTR only warns, as the v4 one does.
    let mut declaration: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../examples/static-ip.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    declaration["publicIPv6"] = "2001:db8::25".into();
    declaration["ipv6Ptr"] = true.into();
    let smarthost = mailplan::plan_json(&declaration.to_string()).unwrap().plan;
    let zone = static_ip_zone().with(
        "mail.example.com",
        Rtype::Aaaa,
        Rdata::Aaaa("2001:db8::25".parse().unwrap()),
    );
    let report = run_plan(&zone, &smarthost, None);
    assert_eq!(named(&report, "rdns", V6_REVERSE)[0].status, Status::Warn);
    assert_eq!(report.status, Outcome::Ok, "{}", report.render());
}
