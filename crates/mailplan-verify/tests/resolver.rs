//! The real resolver (hickory) against a small DNS server on loopback:
//! how its answers and error codes become the checks' findings, and that
//! one run asks each name and type once.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hickory_resolver::proto::op::{Message, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, MX, PTR, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use mailplan_verify::{Options, Outcome, ResolverAddress, Status};

/// What the server answers for one name and type.
#[derive(Clone)]
enum Answer {
    Records(Vec<RData>),
    Code(ResponseCode),
}

type Queries = Arc<Mutex<HashMap<(String, RecordType), usize>>>;

/// A DNS server on 127.0.0.1 (UDP) answering from a table: a name and
/// type in it get their answer, a name in it with another type NOERROR
/// without records, any other name NXDOMAIN. It counts the queries.
struct Server {
    address: SocketAddr,
    queries: Queries,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(table: HashMap<(String, RecordType), Answer>) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let address = socket.local_addr().unwrap();
        let queries: Queries = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (queries, stop) = (queries.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((length, peer)) = socket.recv_from(&mut buffer) else {
                        continue;
                    };
                    let Ok(request) = Message::from_vec(&buffer[..length]) else {
                        continue;
                    };
                    let Some(query) = request.queries.first().cloned() else {
                        continue;
                    };
                    let name = query
                        .name()
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase();
                    *queries
                        .lock()
                        .unwrap()
                        .entry((name.clone(), query.query_type()))
                        .or_default() += 1;
                    let mut response = Message::response(request.metadata.id, OpCode::Query);
                    response.metadata.recursion_desired = request.metadata.recursion_desired;
                    response.metadata.recursion_available = true;
                    response.add_query(query.clone());
                    match table.get(&(name.clone(), query.query_type())) {
                        Some(Answer::Records(records)) => {
                            for rdata in records {
                                response.add_answer(Record::from_rdata(
                                    query.name().clone(),
                                    300,
                                    rdata.clone(),
                                ));
                            }
                        }
                        Some(Answer::Code(code)) => response.metadata.response_code = *code,
                        None if table.keys().any(|(n, _)| *n == name) => {}
                        None => response.metadata.response_code = ResponseCode::NXDomain,
                    }
                    let _ = socket.send_to(&response.to_vec().unwrap(), peer);
                }
            })
        };
        Self {
            address,
            queries,
            stop,
            thread: Some(thread),
        }
    }

    fn queries(&self) -> HashMap<(String, RecordType), usize> {
        self.queries.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn name(text: &str) -> Name {
    Name::from_ascii(format!("{text}.")).unwrap()
}

/// examples/static-ip.json published as planned (without Google's nested
/// includes: _spf.google.com holds ranges only).
fn static_ip_table() -> HashMap<(String, RecordType), Answer> {
    let txt = |text: &str| Answer::Records(vec![RData::TXT(TXT::new(vec![text.to_string()]))]);
    HashMap::from([
        (
            ("mail.example.com".into(), RecordType::A),
            Answer::Records(vec![RData::A(A("203.0.113.5".parse().unwrap()))]),
        ),
        (
            ("example.com".into(), RecordType::MX),
            Answer::Records(vec![RData::MX(MX::new(10, name("mail.example.com")))]),
        ),
        (
            ("example.com".into(), RecordType::TXT),
            txt("v=spf1 mx include:_spf.google.com -all"),
        ),
        (
            ("_spf.google.com".into(), RecordType::TXT),
            txt("v=spf1 ip4:35.190.247.0/24 ~all"),
        ),
        (
            ("_dmarc.example.com".into(), RecordType::TXT),
            txt("v=DMARC1; p=quarantine; rua=mailto:postmaster@example.com"),
        ),
        (
            ("5.113.0.203.in-addr.arpa".into(), RecordType::PTR),
            Answer::Records(vec![RData::PTR(PTR(name("mail.example.com")))]),
        ),
    ])
}

fn plan(example: &str) -> mailplan::Plan {
    let path = format!("{}/../../examples/{example}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let declaration: mailplan::Declaration = serde_json::from_str(&text).unwrap();
    mailplan::plan(&declaration).unwrap().plan
}

fn verify(server: &Server, example: &str) -> mailplan_verify::Report {
    mailplan_verify::verify(
        &plan(example),
        ResolverAddress::Server(server.address),
        &Options::default(),
    )
}

#[test]
fn one_run_asks_each_name_and_type_once() {
    let server = Server::start(static_ip_table());
    let report = verify(&server, "static-ip.json");
    assert_eq!(report.status, Outcome::Ok, "{}", report.render());
    let queries = server.queries();
    // address, mx-target and rdns all want the mail host's A.
    assert_eq!(
        queries.get(&("mail.example.com".to_string(), RecordType::A)),
        Some(&1),
        "{queries:?}"
    );
    let repeated: Vec<_> = queries.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "asked more than once: {repeated:?}");
}

#[test]
fn refused_for_the_domain_means_the_checks_could_not_run() {
    let mut table = static_ip_table();
    table.insert(
        ("example.com".into(), RecordType::MX),
        Answer::Code(ResponseCode::Refused),
    );
    let server = Server::start(table);
    let report = verify(&server, "static-ip.json");
    assert_eq!(report.status, Outcome::CouldNotRun, "{}", report.render());
    let error = report.error.as_deref().unwrap();
    assert!(
        error.contains(&server.address.to_string()) && error.contains("REFUSED"),
        "{error}"
    );
}

#[test]
fn servfail_is_told_apart_from_a_missing_record() {
    let mut table = static_ip_table();
    table.insert(
        ("_dmarc.example.com".into(), RecordType::TXT),
        Answer::Code(ResponseCode::ServFail),
    );
    table.insert(
        ("5.113.0.203.in-addr.arpa".into(), RecordType::PTR),
        Answer::Code(ResponseCode::ServFail),
    );
    let server = Server::start(table);
    let report = verify(&server, "standalone.json");
    assert_eq!(report.status, Outcome::Failed, "{}", report.render());
    let find = |id: &str| report.checks.iter().find(|c| c.check == id).unwrap();
    let dmarc = find("dmarc");
    assert_eq!(dmarc.status, Status::Fail);
    assert!(dmarc.found.contains("SERVFAIL"), "{dmarc:?}");
    assert!(
        dmarc.fix.as_deref().unwrap().contains("DNSSEC"),
        "{dmarc:?}"
    );
    let rdns = find("rdns");
    assert!(rdns.found.contains("reverse zone"), "{rdns:?}");
}
