# Builders mirroring the operator guide's C# calls. Each takes the knobs and
# returns a function from a declaration to the extended declaration, so
# they compose:
#
#   withPublicIP "203.0.113.5" (addMailRelay { ... } { name = "ExampleCorp"; domain = "example.com"; })
let
  secretFields =
    what: password: passwordFile:
    if password != null && passwordFile != null then
      throw "mailplan: ${what}: give the secret or the file that holds it, not both"
    else if passwordFile != null then
      { inherit passwordFile; }
    else if password != null then
      { inherit password; }
    else
      throw "mailplan: ${what}: a secret is required (the password, or passwordFile for a file read at run time)";

  appendUser = user: declaration: declaration // { users = (declaration.users or [ ]) ++ [ user ]; };
in
{
  # config.AddMailRelay(host, saslUser, saslPassword, port): a user with role
  # mail-relay that carries the relay endpoint.
  addMailRelay =
    {
      host,
      saslUser,
      saslPassword ? null,
      saslPasswordFile ? null,
      port ? 587,
    }:
    appendUser (
      {
        name = saslUser;
        roles = [ "mail-relay" ];
        relay = { inherit host port; };
      }
      // secretFields "addMailRelay" saslPassword saslPasswordFile
    );

  # company.AddDomainProvider(provider, secret, hosts, username, secretKey,
  # domain): the non-secret knobs in domainProvider, the secret as the
  # password of a user with role domain-provider.
  addDomainProvider =
    {
      provider,
      hosts,
      secret ? null,
      secretFile ? null,
      username ? null,
      secretKey ? null,
      domain ? null,
    }:
    declaration:
    appendUser (
      {
        name = if username != null then username else provider;
        roles = [ "domain-provider" ];
      }
      // secretFields "addDomainProvider" secret secretFile
    ) declaration
    // {
      domainProvider = {
        inherit provider hosts domain;
      }
      // (if username != null then { inherit username; } else { })
      // (if secretKey != null then { inherit secretKey; } else { });
    };

  # company.WithPublicIP(ip): a static public IPv4; dyndns is skipped.
  withPublicIP = ip: declaration: declaration // { publicIP = ip; };
}
