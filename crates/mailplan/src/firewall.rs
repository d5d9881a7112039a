//! Port-forwards on the site gateway and the mail VM's open ports.

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::declaration::TlsMode;

/// Transport protocol of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP (everything mail needs).
    Tcp,
}

/// The machine a WAN port is forwarded to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The mail VM.
    Mail,
    /// The PMG on the LAN.
    Pmg,
}

/// One port rule with the reason it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortRule {
    /// Port number.
    pub port: u16,
    /// Protocol.
    pub proto: Proto,
    /// Why the port is open.
    pub reason: String,
    /// Where the port is forwarded to.
    pub target: Target,
    /// The only source address allowed; null for any.
    pub source: Option<Ipv4Addr>,
}

impl PortRule {
    fn tcp(port: u16, reason: impl Into<String>) -> Self {
        Self {
            port,
            proto: Proto::Tcp,
            reason: reason.into(),
            target: Target::Mail,
            source: None,
        }
    }
}

/// How inbound SMTP reaches the site, as far as the firewall cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundPath {
    /// Senders (or the inbound relay provider) connect to the mail VM on 25.
    Direct {
        /// True when a relay provider, not senders, connects.
        via_relay: bool,
    },
    /// A PMG on the LAN receives on 25 and delivers to the VM on 26.
    LanPmg(Ipv4Addr),
    /// A PMG on the internet delivers to the VM on 26 over the WAN.
    RemotePmg(Ipv4Addr),
}

/// What the firewall rules depend on.
#[derive(Debug, Clone, Copy)]
pub struct FirewallInputs {
    /// The inbound path.
    pub inbound: InboundPath,
    /// Clients are LAN/VPN only.
    pub internal_clients_only: bool,
    /// Roundcube webmail is served on 443.
    pub webmail: bool,
    /// Certificate mode (HTTP-01 needs port 80).
    pub tls: TlsMode,
}

/// Port used by a PMG to deliver filtered mail to the mail VM.
pub const PMG_DELIVERY_PORT: u16 = 26;

/// The WAN port-forwards (guide, Mode A step 3).
pub fn wan_forwards(inputs: FirewallInputs) -> Vec<PortRule> {
    let mut rules = Vec::new();
    match inputs.inbound {
        InboundPath::Direct { via_relay: false } => {
            rules.push(PortRule::tcp(25, "SMTP: inbound mail from other mail servers"));
        }
        InboundPath::Direct { via_relay: true } => {
            rules.push(PortRule::tcp(
                25,
                "SMTP: the inbound relay (the MX) forwards accepted mail to the mail VM",
            ));
        }
        InboundPath::LanPmg(ip) => rules.push(PortRule {
            target: Target::Pmg,
            ..PortRule::tcp(
                25,
                format!("SMTP: inbound mail goes to the PMG at {ip}, which filters it and delivers to the mail VM on port {PMG_DELIVERY_PORT}"),
            )
        }),
        InboundPath::RemotePmg(ip) => rules.push(PortRule {
            source: Some(ip),
            ..PortRule::tcp(
                PMG_DELIVERY_PORT,
                format!("SMTP from the PMG at {ip} only: it delivers filtered inbound mail to the mail VM"),
            )
        }),
    }
    if !inputs.internal_clients_only {
        rules.push(PortRule::tcp(
            465,
            "SMTPS submission (Outlook / Thunderbird)",
        ));
        rules.push(PortRule::tcp(587, "STARTTLS submission (most clients)"));
        rules.push(PortRule::tcp(993, "IMAPS (external clients reading mail)"));
    }
    if inputs.webmail {
        rules.push(PortRule::tcp(443, "HTTPS: Roundcube webmail"));
    }
    if inputs.tls == TlsMode::Http01 {
        rules.push(PortRule::tcp(
            80,
            "HTTP: Let's Encrypt HTTP-01 challenge for the mail host's certificate",
        ));
    }
    rules
}

/// The ports the mail VM's own firewall opens: every service, since LAN
/// clients use submission and IMAPS even when the WAN does not.
pub fn vm_ports(inputs: FirewallInputs) -> Vec<PortRule> {
    let mut rules = vec![PortRule::tcp(25, "SMTP: inbound mail")];
    if let InboundPath::LanPmg(ip) | InboundPath::RemotePmg(ip) = inputs.inbound {
        rules.push(PortRule {
            source: Some(ip),
            ..PortRule::tcp(
                PMG_DELIVERY_PORT,
                "SMTP: filtered inbound mail from the PMG",
            )
        });
    }
    rules.push(PortRule::tcp(465, "SMTPS submission"));
    rules.push(PortRule::tcp(587, "STARTTLS submission"));
    rules.push(PortRule::tcp(993, "IMAPS"));
    if inputs.webmail {
        rules.push(PortRule::tcp(443, "HTTPS: Roundcube webmail"));
    }
    if inputs.tls == TlsMode::Http01 {
        rules.push(PortRule::tcp(80, "HTTP: ACME HTTP-01 challenge"));
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(rules: &[PortRule]) -> Vec<u16> {
        rules.iter().map(|r| r.port).collect()
    }

    const DIRECT: InboundPath = InboundPath::Direct { via_relay: false };

    #[test]
    fn the_guides_table() {
        let inputs = FirewallInputs {
            inbound: DIRECT,
            internal_clients_only: false,
            webmail: true,
            tls: TlsMode::Dns01,
        };
        assert_eq!(ports(&wan_forwards(inputs)), [25, 465, 587, 993, 443]);
        let http = FirewallInputs {
            tls: TlsMode::Http01,
            ..inputs
        };
        assert_eq!(ports(&wan_forwards(http)), [25, 465, 587, 993, 443, 80]);
    }

    #[test]
    fn internal_clients_keep_25_and_443_only() {
        let inputs = FirewallInputs {
            inbound: DIRECT,
            internal_clients_only: true,
            webmail: true,
            tls: TlsMode::Dns01,
        };
        assert_eq!(ports(&wan_forwards(inputs)), [25, 443]);
        assert_eq!(ports(&vm_ports(inputs)), [25, 465, 587, 993, 443]);
    }

    #[test]
    fn no_webmail_no_443() {
        let inputs = FirewallInputs {
            inbound: DIRECT,
            internal_clients_only: true,
            webmail: false,
            tls: TlsMode::Dns01,
        };
        assert_eq!(ports(&wan_forwards(inputs)), [25]);
        assert_eq!(ports(&vm_ports(inputs)), [25, 465, 587, 993]);
        let http = FirewallInputs {
            tls: TlsMode::Http01,
            ..inputs
        };
        assert_eq!(ports(&wan_forwards(http)), [25, 80]);
        assert_eq!(ports(&vm_ports(http)), [25, 465, 587, 993, 80]);
    }

    #[test]
    fn pmg_paths() {
        let lan = FirewallInputs {
            inbound: InboundPath::LanPmg("192.168.10.5".parse().unwrap()),
            internal_clients_only: true,
            webmail: true,
            tls: TlsMode::Dns01,
        };
        let rules = wan_forwards(lan);
        assert_eq!(rules[0].port, 25);
        assert_eq!(rules[0].target, Target::Pmg);
        let remote = FirewallInputs {
            inbound: InboundPath::RemotePmg("198.51.100.25".parse().unwrap()),
            ..lan
        };
        let rules = wan_forwards(remote);
        assert_eq!(rules[0].port, 26);
        assert_eq!(rules[0].source, Some("198.51.100.25".parse().unwrap()));
        assert!(!ports(&rules).contains(&25));
        assert!(ports(&vm_ports(remote)).contains(&26));
    }
}
