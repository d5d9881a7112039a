# mkSite: the mail VM and the dns VM of one customer site, as NixOS
# systems. Used by the flake's own example and by the flake module.
{ self }:
{
  # A nixpkgs flake (nixpkgs.lib.nixosSystem builds the systems).
  nixpkgs,
  # The customer declaration (mailplan contract v1).
  customer,
  system ? "x86_64-linux",
  # Let's Encrypt contact, for sites with tls = "http-01".
  acmeEmail ? null,
  # Site-specific modules for each VM (hardware, users, SSH, …).
  mailModules ? [ ],
  dnsModules ? [ ],
}:
{
  mail = nixpkgs.lib.nixosSystem {
    inherit system;
    modules = [
      self.nixosModules.mail
      {
        services.mailplan = {
          enable = true;
          inherit customer acmeEmail;
        };
      }
    ]
    ++ mailModules;
  };

  dns = nixpkgs.lib.nixosSystem {
    inherit system;
    modules = [
      self.nixosModules.ddns
      {
        services.mailplan = {
          ddns.enable = true;
          inherit customer;
        };
      }
    ]
    ++ dnsModules;
  };
}
