//! The DNS the checks read: a small query interface ([`Dns`]) and its
//! implementation over hickory-resolver ([`HickoryDns`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};

/// The record types the checks query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rtype {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Canonical name.
    Cname,
    /// Mail exchanger.
    Mx,
    /// Text.
    Txt,
    /// Reverse pointer.
    Ptr,
}

impl Rtype {
    /// The mnemonic, as in a zone file.
    pub fn as_str(self) -> &'static str {
        match self {
            Rtype::A => "A",
            Rtype::Aaaa => "AAAA",
            Rtype::Cname => "CNAME",
            Rtype::Mx => "MX",
            Rtype::Txt => "TXT",
            Rtype::Ptr => "PTR",
        }
    }
}

/// One record of an answer. Names are lowercase, without the final dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rdata {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Alias target.
    Cname(String),
    /// Priority and exchange.
    Mx(u16, String),
    /// The character strings of one TXT record, concatenated (RFC 7208
    /// §3.3, RFC 6376 §3.6.2.2).
    Txt(String),
    /// Reverse name.
    Ptr(String),
}

/// The TXT texts of an answer that `keep` accepts (none when the query
/// failed).
pub fn txt_records(
    answer: &Result<Vec<Rdata>, QueryError>,
    keep: impl Fn(&str) -> bool,
) -> Vec<String> {
    answer
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| match r {
            Rdata::Txt(text) if keep(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// Why a query has no records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// The name exists and has no record of the type (NOERROR, no answer).
    NoData,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The resolver answered SERVFAIL: it could not get an answer from
    /// the zone's name servers (DNSSEC bogus, lame delegation, servers
    /// down), so the rest of the world cannot either.
    ServFail,
    /// The resolver answered REFUSED: it will not answer this client (not
    /// recursive for us, or not serving the name).
    Refused,
    /// A server answered with another error code (FORMERR, NOTIMP, ...).
    Failed(String),
    /// No server answered (timeout, connection refused).
    Unreachable(String),
}

impl QueryError {
    /// Whether RFC 7208 §4.6.4 counts the query as a void lookup.
    pub fn is_void(&self) -> bool {
        matches!(self, QueryError::NoData | QueryError::NxDomain)
    }

    /// Whether the resolver, not the zone, is the trouble: it refused or
    /// did not answer, so nothing is known about the record.
    pub fn is_resolver_trouble(&self) -> bool {
        matches!(self, QueryError::Refused | QueryError::Unreachable(_))
    }

    /// What was found, for a person.
    pub fn describe(&self) -> String {
        match self {
            QueryError::NoData => "no record".to_string(),
            QueryError::NxDomain => "the name does not exist (NXDOMAIN)".to_string(),
            QueryError::ServFail => {
                "the zone's name servers failed to answer (SERVFAIL)".to_string()
            }
            QueryError::Refused => "the resolver refused the query (REFUSED)".to_string(),
            QueryError::Failed(why) => format!("the query failed: {why}"),
            QueryError::Unreachable(why) => format!("no answer from the resolver: {why}"),
        }
    }
}

/// A DNS the checks can ask: one query, the records of the asked type
/// (aliases followed, so a CNAME in the chain is returned as well).
pub trait Dns {
    /// Asks for `name`'s records of type `rtype`.
    fn query(
        &self,
        name: &str,
        rtype: Rtype,
    ) -> impl std::future::Future<Output = Result<Vec<Rdata>, QueryError>>;
}

/// Where the resolver sends its queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolverAddress {
    /// The system's resolvers (`/etc/resolv.conf`).
    System,
    /// One server, over UDP with a TCP fallback.
    Server(SocketAddr),
}

impl std::fmt::Display for ResolverAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolverAddress::System => f.write_str("the system resolver"),
            ResolverAddress::Server(address) => write!(f, "{address}"),
        }
    }
}

/// How long one query may take before it is tried again, and how often.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts per query.
pub const QUERY_ATTEMPTS: usize = 2;

/// How many answers the resolver keeps for the run.
pub const CACHE_SIZE: u64 = 256;
/// How long a kept answer counts as fresh, whatever its TTL: longer than
/// any run, so each name and type is asked once per run. The resolver
/// lives for one run only, so no answer outlives it.
const CACHE_MIN_TTL: Duration = Duration::from_secs(600);

/// [`Dns`] over hickory-resolver, with a cache for the life of one run
/// (the checks ask some names twice: `address` and `mx-target` both want
/// the mail host's address) and without `/etc/hosts`.
pub struct HickoryDns {
    resolver: TokioResolver,
}

impl HickoryDns {
    /// A resolver that asks `address`.
    pub fn new(address: ResolverAddress) -> Result<Self, String> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = match address {
            ResolverAddress::System => TokioResolver::builder(provider)
                .map_err(|e| format!("cannot read the system resolver configuration: {e}"))?,
            ResolverAddress::Server(server) => {
                let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                    .into_iter()
                    .map(|mut connection| {
                        connection.port = server.port();
                        connection
                    })
                    .collect();
                let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
                name_server.connections = connections;
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![name_server]),
                    provider,
                )
            }
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = QUERY_TIMEOUT;
        options.attempts = QUERY_ATTEMPTS;
        options.cache_size = CACHE_SIZE;
        options.positive_min_ttl = Some(CACHE_MIN_TTL);
        options.negative_min_ttl = Some(CACHE_MIN_TTL);
        options.use_hosts_file = ResolveHosts::Never;
        options.ndots = 0;
        let resolver = builder
            .build()
            .map_err(|e| format!("cannot set up the resolver: {e}"))?;
        Ok(Self { resolver })
    }
}

impl Dns for HickoryDns {
    async fn query(&self, name: &str, rtype: Rtype) -> Result<Vec<Rdata>, QueryError> {
        let record_type = match rtype {
            Rtype::A => RecordType::A,
            Rtype::Aaaa => RecordType::AAAA,
            Rtype::Cname => RecordType::CNAME,
            Rtype::Mx => RecordType::MX,
            Rtype::Txt => RecordType::TXT,
            Rtype::Ptr => RecordType::PTR,
        };
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let lookup = self
            .resolver
            .lookup(fqdn.as_str(), record_type)
            .await
            .map_err(classify)?;
        let records: Vec<Rdata> = lookup
            .answers()
            .iter()
            .filter_map(|record| rdata(&record.data))
            .collect();
        if records.is_empty() {
            return Err(QueryError::NoData);
        }
        Ok(records)
    }
}

fn name_text(name: &hickory_resolver::proto::rr::Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

fn rdata(data: &RData) -> Option<Rdata> {
    Some(match data {
        RData::A(a) => Rdata::A(a.0),
        RData::AAAA(aaaa) => Rdata::Aaaa(aaaa.0),
        RData::CNAME(cname) => Rdata::Cname(name_text(&cname.0)),
        RData::MX(mx) => Rdata::Mx(mx.preference, name_text(&mx.exchange)),
        RData::TXT(txt) => Rdata::Txt(
            txt.txt_data
                .iter()
                .map(|part| String::from_utf8_lossy(part))
                .collect(),
        ),
        RData::PTR(ptr) => Rdata::Ptr(name_text(&ptr.0)),
        _ => return None,
    })
}

fn classify(error: NetError) -> QueryError {
    match &error {
        NetError::Dns(DnsError::NoRecordsFound(no_records)) => match no_records.response_code {
            ResponseCode::NXDomain => QueryError::NxDomain,
            ResponseCode::ServFail => QueryError::ServFail,
            ResponseCode::Refused => QueryError::Refused,
            _ => QueryError::NoData,
        },
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => QueryError::ServFail,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => QueryError::Refused,
        NetError::Dns(DnsError::ResponseCode(code)) => QueryError::Failed(code.to_string()),
        NetError::Timeout | NetError::Io(_) | NetError::NoConnections | NetError::Busy => {
            QueryError::Unreachable(error.to_string())
        }
        _ => QueryError::Failed(error.to_string()),
    }
}

/// The reverse-lookup name of an address (`5.113.0.203.in-addr.arpa`).
pub fn reverse_name(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut labels: Vec<String> = v6
                .octets()
                .iter()
                .flat_map(|byte| [byte >> 4, byte & 0xf])
                .map(|nibble| format!("{nibble:x}"))
                .collect();
            labels.reverse();
            format!("{}.ip6.arpa", labels.join("."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names_follow_rfc_1035_and_3596() {
        assert_eq!(
            reverse_name("203.0.113.5".parse().unwrap()),
            "5.113.0.203.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }
}
